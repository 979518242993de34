/**
 * Jobs that run in a brand-new container, removed afterwards, outside the warm pool: `fresh: true`
 * jobs, and jobs whose manifest asks for a stronger runtime than the pool's (runsc while the pool
 * runs runc). At most `maxRuns` at once (SBX_ERR_SATURATED beyond). An aborted call, abortAll or
 * close ends the container; failures become result values, never a throw into the caller.
 */
import type Docker from 'dockerode';
import type { SandboxErrorCode } from '../errors.ts';
import type { WorkerJob } from '../worker-backend.ts';
import type { WorkerLimits } from '../limits.ts';
import { WorkerContainer, type WorkerStartOptions } from './worker-container.ts';
import type { JobOutcome } from './worker-reply.ts';

export interface FreshRuns {
  /** runs `job` in a new container made from `spec` (undefined: the backend is not started) */
  run(job: WorkerJob, limits: WorkerLimits, signal: AbortSignal | undefined, spec: Docker.ContainerCreateOptions | undefined): Promise<JobOutcome>;
  /** ends every fresh run with `code`; returns how many there were */
  abortAll(code: SandboxErrorCode, message: string): number;
  /** ends every fresh run (SBX_ERR_ABORTED) and waits until their containers are removed */
  close(): Promise<void>;
}

export function createFreshRuns(docker: Docker, startOptions: WorkerStartOptions, maxRuns: number): FreshRuns {
  const running = new Map<AbortController, Promise<unknown>>();
  let closed = false;

  async function run(job: WorkerJob, limits: WorkerLimits, signal: AbortSignal | undefined, spec: Docker.ContainerCreateOptions | undefined): Promise<JobOutcome> {
    if (spec === undefined) return { ok: false, code: 'SBX_ERR_UNAVAILABLE', message: 'docker backend not started' };
    if (running.size >= maxRuns) return { ok: false, code: 'SBX_ERR_SATURATED', message: 'too many fresh containers' };
    const stop = new AbortController();
    let worker: WorkerContainer | undefined;
    let stopped: JobOutcome | undefined;
    const onAbort = (): void => stop.abort({ ok: false, code: 'SBX_ERR_ABORTED', message: 'call aborted' });
    signal?.addEventListener('abort', onAbort, { once: true });
    stop.signal.addEventListener('abort', () => {
      stopped = stop.signal.reason as JobOutcome;
      void worker?.destroy();
    }, { once: true });
    const work = (async (): Promise<JobOutcome> => {
      try {
        worker = await WorkerContainer.start(docker, spec, startOptions);
        if (closed || stopped !== undefined) return stopped ?? { ok: false, code: 'SBX_ERR_ABORTED', message: 'call aborted' };
        const outcome = await worker.run(job.callId, job.handler, job.args, limits);
        return stopped ?? outcome;
      } catch {
        return stopped ?? { ok: false, code: 'SBX_ERR_UNAVAILABLE', message: 'could not start a fresh container' };
      } finally {
        signal?.removeEventListener('abort', onAbort);
        await worker?.destroy();
      }
    })();
    running.set(stop, work);
    try {
      return await work;
    } finally {
      running.delete(stop);
    }
  }

  return {
    run,
    abortAll(code, message): number {
      for (const stop of running.keys()) stop.abort({ ok: false, code, message });
      return running.size;
    },
    async close(): Promise<void> {
      closed = true;
      for (const stop of running.keys()) stop.abort({ ok: false, code: 'SBX_ERR_ABORTED', message: 'backend closed' });
      await Promise.all([...running.values()]);
    },
  };
}
