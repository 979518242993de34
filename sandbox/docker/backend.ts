/**
 * Docker worker backend: a warm pool of locked-down containers driven by the shared pool core
 * (sandbox/pool-core.ts: queue, bounded wait, abort, saturation, health, drain, close), one job
 * per container at a time, replacement after a timeout, crash, OOM kill, protocol violation or
 * `maxJobsPerContainer` jobs. This file supplies the hooks (start a container, run a job on it,
 * stop it) and the daemon watch: an unreachable daemon suspends the pool (down), a reachable one
 * resumes it. `fresh: true` jobs run in a brand-new container that is removed afterwards.
 * Container failures become result values; they never throw into the caller.
 */
import { randomUUID } from 'node:crypto';
import Docker from 'dockerode';
import { createPoolCore } from '../pool-core.ts';
import type { HealthChange, WorkerBackend, WorkerJob, WorkerResult } from '../worker-backend.ts';
import type { WorkerLimits } from '../limits.ts';
import { containerSpec, loadSeccompProfile } from './container-config.ts';
import { pingDaemon, removeStaleWorkers } from './daemon.ts';
import { ensureWorkerImage } from './image.ts';
import { DEFAULT_DOCKER_QUOTAS, type DockerQuotas } from './quotas.ts';
import { WorkerContainer } from './worker-container.ts';
import type { JobOutcome } from './worker-reply.ts';

export interface DockerBackendOptions {
  /** false: the backend reports 'disabled' and refuses every job */
  readonly enabled: boolean;
  readonly docker?: Docker;
  readonly quotas?: DockerQuotas;
  readonly poolSize?: number; // default 2
  /** standby containers kept ready beyond poolSize, out of reach of any single principal (default 0) */
  readonly spare?: number;
  readonly maxQueue?: number; // default 32
  /** queued jobs of one principal (default maxQueue) */
  readonly maxQueuePerPrincipal?: number;
  /** longest wait in the queue, ms (default 30000) */
  readonly queueWaitMs?: number;
  /**
   * jobs per container before it is replaced. Default 1: handlers run in plain Node, so a job
   * could leave timers, patched globals or /tmp files behind for the next job; single-use
   * containers are still pre-started, so a call does not wait for a container start unless
   * calls arrive faster than containers start.
   */
  readonly maxJobsPerContainer?: number;
  readonly startTimeoutMs?: number; // default 30 s
  readonly healthIntervalMs?: number; // default 10 s
  /** use this image tag instead of building the worker image */
  readonly image?: string;
  /** receives lifecycle lines (image build progress, container failures) */
  readonly log?: (line: string) => void;
}

const MAX_START_FAILURES = 3;

export function createDockerBackend(options: DockerBackendOptions): WorkerBackend {
  const docker = options.docker ?? new Docker();
  const maxQueue = options.maxQueue ?? 32;
  const maxJobs = options.maxJobsPerContainer ?? 1;
  const startTimeoutMs = options.startTimeoutMs ?? 30_000;
  const log = options.log ?? ((): void => undefined);
  const instance = randomUUID();
  const fresh = new Map<AbortController, Promise<unknown>>();
  let spec: Docker.ContainerCreateOptions | undefined;
  let closed = false;
  let monitor: NodeJS.Timeout | undefined;
  let checking = false;
  let imageNote: string | undefined;

  const core = createPoolCore<WorkerContainer>({
    name: 'docker',
    size: options.poolSize ?? 2,
    spare: options.spare ?? 0,
    queueLimit: maxQueue,
    queueLimitPerPrincipal: options.maxQueuePerPrincipal ?? maxQueue,
    ...(options.queueWaitMs === undefined ? {} : { queueWaitMs: options.queueWaitMs }),
    maxStartFailures: MAX_START_FAILURES,
    backoffInitialMs: 100,
    backoffMaxMs: 5_000,
    // single-use containers end all the time: a replacement counts as ready until it fails to start
    routineReplacement: true,
    initialHealth: { state: 'degraded', detail: 'starting' },
    log,
  }, {
    start: async (died) => {
      if (spec === undefined) throw new Error('docker backend not initialised');
      try {
        const worker = await WorkerContainer.start(docker, spec, startTimeoutMs);
        worker.onDeath = () => died('container ended');
        return worker;
      } catch (error) {
        // name the daemon when it is the cause: an unreachable daemon suspends the pool (down)
        const ping = await pingDaemon(docker);
        if (!ping.ok) core.suspend(ping.detail);
        throw error;
      }
    },
    run: async (worker, job, limits, stop) => {
      const onStop = (): void => void worker.destroy();
      stop.addEventListener('abort', onStop, { once: true });
      const outcome = await worker.run(job.callId, job.handler, job.args, limits);
      stop.removeEventListener('abort', onStop);
      return outcome;
    },
    stop: (worker) => worker.destroy(),
    replaceAfter: (worker) => worker.dead || worker.jobsRun >= maxJobs,
  });

  async function runFresh(job: WorkerJob, limits: WorkerLimits, signal: AbortSignal | undefined): Promise<JobOutcome> {
    if (spec === undefined) return { ok: false, code: 'SBX_ERR_UNAVAILABLE', message: 'docker backend not started' };
    if (fresh.size >= maxQueue) return { ok: false, code: 'SBX_ERR_SATURATED', message: 'too many fresh containers' };
    const stop = new AbortController();
    let worker: WorkerContainer | undefined;
    let stopped: JobOutcome | undefined;
    const onAbort = (): void => stop.abort({ code: 'SBX_ERR_ABORTED', message: 'call aborted' });
    signal?.addEventListener('abort', onAbort, { once: true });
    stop.signal.addEventListener('abort', () => {
      stopped = stop.signal.reason as JobOutcome;
      void worker?.destroy();
    }, { once: true });
    const work = (async (): Promise<JobOutcome> => {
      try {
        worker = await WorkerContainer.start(docker, spec!, startTimeoutMs);
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
    fresh.set(stop, work);
    try {
      return await work;
    } finally {
      fresh.delete(stop);
    }
  }

  /** daemon reachable → stale containers removed, image present, container spec ready */
  async function initialise(): Promise<boolean> {
    const ping = await pingDaemon(docker);
    if (!ping.ok) {
      core.suspend(ping.detail);
      return false;
    }
    await removeStaleWorkers(docker, instance).catch(() => 0);
    let image = options.image;
    if (image === undefined) {
      const began = Date.now();
      const built = await ensureWorkerImage(docker, false, log);
      if (!built.ok) {
        core.suspend(built.reason);
        return false;
      }
      image = built.tag;
      imageNote = built.built ? `worker image ${image} built at start in ${((Date.now() - began) / 1000).toFixed(1)} s` : `worker image ${image}`;
    }
    spec = containerSpec({ image, quotas: options.quotas ?? DEFAULT_DOCKER_QUOTAS, seccomp: loadSeccompProfile(), instance });
    return true;
  }

  async function check(): Promise<void> {
    if (checking) return;
    checking = true;
    try {
      const ping = await pingDaemon(docker);
      if (closed) return;
      if (!ping.ok) {
        if (core.health().state !== 'down' || core.health().detail !== ping.detail) core.suspend(ping.detail);
        return;
      }
      if (core.health().state !== 'down') return;
      if (spec === undefined && !(await initialise())) return;
      if (closed) return;
      core.resume();
      if (!core.started) void core.start();
    } finally {
      checking = false;
    }
  }

  return {
    name: 'docker',
    async start(): Promise<void> {
      if (!options.enabled || closed || monitor !== undefined) return;
      monitor = setInterval(() => void check(), options.healthIntervalMs ?? 10_000);
      monitor.unref();
      if (!(await initialise())) return;
      await core.start();
    },
    async run(job: WorkerJob, limits: WorkerLimits, signal?: AbortSignal): Promise<WorkerResult> {
      if (!options.enabled) return { ok: false, code: 'SBX_ERR_UNAVAILABLE', message: 'docker backend disabled', durationMs: 0 };
      if (job.fresh !== true || closed || core.health().state === 'down') return core.run(job, limits, signal);
      const began = performance.now();
      const outcome = await runFresh(job, limits, signal);
      return { ...outcome, durationMs: Math.round(performance.now() - began) };
    },
    abortAll(code, message): number {
      for (const stop of fresh.keys()) stop.abort({ ok: false, code, message });
      return fresh.size + core.abortAll(code, message);
    },
    describe: () => imageNote ?? (options.image === undefined ? undefined : `worker image ${options.image}`),
    health() {
      return options.enabled ? core.health() : { state: 'disabled', detail: 'PALISADE_SANDBOX_BACKEND does not enable docker' };
    },
    onHealthChange(listener: (change: HealthChange) => void): () => void {
      return core.onHealthChange(listener);
    },
    async close(): Promise<void> {
      closed = true;
      if (monitor !== undefined) clearInterval(monitor);
      for (const stop of fresh.keys()) stop.abort({ ok: false, code: 'SBX_ERR_ABORTED', message: 'backend closed' });
      await Promise.all([...fresh.values()]);
      if (options.enabled) await core.close();
    },
  };
}
