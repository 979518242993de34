/**
 * One isolate-host child as a pool worker (supervisor side): the hooks the pool core drives.
 * `start` spawns the child and resolves on its `ready` (killed if not ready in time); `run`
 * sends one job and arms a wall timer that kills a stuck child (SBX_ERR_TIMEOUT); every reply is
 * re-checked, and a reply that breaks the rules kills the child. When the child ends, the pool is
 * told first (so nothing new is sent to it) and then its in-flight jobs end with the reason.
 */
import type { WorkerLimits } from '../limits.ts';
import type { JobOutcome } from '../pool-core.ts';
import type { WorkerJob } from '../worker-backend.ts';
import { IsolateChild, type ChildCommand } from './child.ts';
import { checkReply, codeForChildEnd } from './result-check.ts';

interface Inflight {
  readonly limits: WorkerLimits;
  readonly timer: NodeJS.Timeout;
  readonly resolve: (outcome: JobOutcome) => void;
}

export class HostWorker {
  readonly #inflight = new Map<string, Inflight>();
  #child: IsolateChild | undefined;
  #ended: Promise<void> | undefined;
  static #nextId = 0;

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  get inflightCount(): number {
    return this.#inflight.size;
  }

  static start(command: ChildCommand, readyTimeoutMs: number, died: (why: string) => void): Promise<HostWorker> {
    const worker = new HostWorker();
    return new Promise<HostWorker>((resolve, reject) => {
      let ready = false;
      let endDone: () => void = () => undefined;
      worker.#ended = new Promise<void>((r) => (endDone = r));
      const timer = setTimeout(() => child.kill('not ready in time'), readyTimeoutMs);
      const child = new IsolateChild(command, {
        onReady: () => {
          clearTimeout(timer);
          ready = true;
          resolve(worker);
        },
        onResult: (message) => worker.#onResult(message),
        onEnd: (end) => {
          clearTimeout(timer);
          endDone();
          const detail = JSON.stringify(end).slice(0, 2000);
          if (!ready) {
            reject(new Error(`isolate host did not start: ${detail}`));
            return;
          }
          died(detail); // first: the pool stops sending to this child
          const { code, message } = codeForChildEnd(end);
          for (const [id, job] of worker.#inflight) {
            clearTimeout(job.timer);
            worker.#inflight.delete(id);
            job.resolve({ ok: false, code, message });
          }
        },
      });
      worker.#child = child;
    });
  }

  run(job: WorkerJob, limits: WorkerLimits, killGraceMs: number, stop: AbortSignal): Promise<JobOutcome> {
    const child = this.#child;
    if (child === undefined || child.ended) {
      return Promise.resolve({ ok: false, code: 'SBX_ERR_WORKER_CRASHED', message: 'the worker had ended' });
    }
    const id = `j${(HostWorker.#nextId += 1)}`;
    const sent = child.send({
      t: 'run', id, handler: job.handler, args: job.args,
      timeoutMs: limits.timeoutMs, memoryMb: limits.memoryMb, maxOutputBytes: limits.maxOutputBytes,
      ...(job.trusted === true ? { trusted: true as const } : {}),
    });
    if (!sent.ok) return Promise.resolve({ ok: false, code: sent.code, message: sent.message });
    return new Promise<JobOutcome>((resolve) => {
      const timer = setTimeout(() => {
        if (!this.#inflight.delete(id)) return;
        resolve({ ok: false, code: 'SBX_ERR_TIMEOUT', message: 'time limit reached; the worker was restarted' });
        child.kill('call exceeded its time limit');
      }, limits.timeoutMs + killGraceMs);
      this.#inflight.set(id, { limits, timer, resolve });
      // stopping a running job disposes its isolate by ending the host process; only when it is
      // the child's only job, so another principal's job on the same child is never cut short
      stop.addEventListener('abort', () => {
        if (this.#inflight.has(id) && this.#inflight.size === 1) child.kill('job stopped');
      }, { once: true });
    });
  }

  #onResult(message: Parameters<typeof checkReply>[0]): void {
    const job = this.#inflight.get(message.id);
    if (job === undefined) {
      this.#child?.kill('result for an unknown job id');
      return;
    }
    const checked = checkReply(message, job.limits.maxOutputBytes);
    if (checked.kind === 'violation') {
      this.#child?.kill(checked.detail);
      return;
    }
    this.#inflight.delete(message.id);
    clearTimeout(job.timer);
    job.resolve(checked.kind === 'ok' ? { ok: true, value: checked.value } : { ok: false, code: checked.code, message: checked.message });
  }

  /** Kills the child; resolves once it has ended. */
  stop(why: string): Promise<void> {
    this.#child?.kill(why);
    return this.#ended ?? Promise.resolve();
  }
}
