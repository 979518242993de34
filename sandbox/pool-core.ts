/**
 * The one worker-pool lifecycle both backends share (isolate hosts, docker containers), written
 * once the way undici writes its pool once in a base: a bounded FIFO queue with a bounded wait,
 * saturation (SBX_ERR_SATURATED), abort, health, drain, close. A backend supplies four hooks:
 * start a worker, run a job on it, stop it, and whether it must be replaced after a job.
 *
 * Rules (issue 22):
 * - Degraded is not down: a job is dispatched to any ready worker; while workers restart, jobs
 *   wait in the queue; SBX_ERR_UNAVAILABLE only when the pool is down (every position failed to
 *   start `maxStartFailures` times in a row, suspended, closed) or when no worker became ready
 *   within the wait bound.
 * - Restarts cannot cascade: each position restarts on its own, at once after a worker that had
 *   been ready ended (the job was at fault, not the worker), with its own exponential backoff
 *   after failed starts. `spare` extra workers are kept ready and no single principal may use
 *   more than `size` of them, so one principal's killing jobs never empty the pool for others.
 * - A caller that has gone does not hold a queue slot: with `withdraw` fired, its job leaves the
 *   queue unrun (a running job finishes). Without this, a client that timed out and retried
 *   found its own abandoned calls filling its queue share and got 503.
 */
import type { SandboxErrorCode } from './errors.ts';
import type { WorkerLimits } from './limits.ts';
import { HealthTracker, poolHealth } from './pool-health.ts';
import type { JobOutcome, PoolCore, PoolHooks, PoolOptions, PoolPosition, PoolWaiting } from './pool-types.ts';
import type { BackendHealth, HealthChange, WorkerJob, WorkerResult } from './worker-backend.ts';

export type { JobOutcome, PoolCore, PoolHooks, PoolOptions } from './pool-types.ts';

/** The message of a job withdrawn because its caller left before it started (SBX_ERR_ABORTED); every path that withdraws says it. */
export const WITHDRAWN = 'the caller left before the call started; it was not run';

export function createPoolCore<W>(options: PoolOptions, hooks: PoolHooks<W>): PoolCore {
  const size = Math.max(1, options.size);
  const perWorker = Math.max(1, options.perWorker ?? 1);
  const perPrincipal = size * perWorker;
  const queueLimit = Math.max(0, options.queueLimit);
  const queuePerPrincipal = options.queueLimitPerPrincipal ?? queueLimit;
  const queueWaitMs = options.queueWaitMs ?? 30_000;
  const log = options.log ?? ((): void => undefined);
  const positions: PoolPosition<W>[] = Array.from({ length: size + Math.max(0, options.spare ?? 0) }, () => ({
    worker: undefined, state: 'empty', inflight: new Set(), startFailures: 0, replacing: false, generation: 0, timer: undefined,
  }));
  const queue: PoolWaiting[] = [];
  const busy = new Map<string, number>();
  const stopping = new Set<Promise<void>>();
  const tracker = new HealthTracker(options.name, options.initialHealth);
  let started = false;
  let closed = false;
  let suspended: string | undefined;
  let lastStartError = '';
  let startWaiters: Array<() => void> = [];

  const fail = (code: SandboxErrorCode, message: string): JobOutcome => ({ ok: false, code, message });
  const count = (p: string): number => busy.get(p) ?? 0;
  const serving = (pos: PoolPosition<W>): boolean => pos.state === 'ready' || pos.state === 'draining' || pos.replacing;

  function refresh(): void {
    if (!started && !closed && suspended === undefined) return;
    tracker.update(poolHealth({
      name: options.name, closed, started, suspended, lastStartError, total: positions.length,
      ready: positions.filter(serving).length,
      failing: positions.filter((p) => !serving(p) && p.startFailures >= options.maxStartFailures).length,
    }));
    const health = tracker.current;
    if (health.state === 'down') {
      for (const w of queue.splice(0)) finish(w, fail('SBX_ERR_UNAVAILABLE', `no ${options.name} worker is running`));
    }
    if (closed || suspended !== undefined || positions.every((p) => p.state === 'ready' || p.startFailures >= options.maxStartFailures)) {
      for (const resolve of startWaiters.splice(0)) resolve();
    }
  }

  function finish(w: PoolWaiting, outcome: JobOutcome): void {
    clearTimeout(w.timer);
    const at = queue.indexOf(w);
    if (at >= 0) queue.splice(at, 1);
    w.settle(outcome);
  }

  function spawn(pos: PoolPosition<W>, delayMs: number): void {
    clearTimeout(pos.timer);
    if (closed || suspended !== undefined) return;
    pos.state = delayMs > 0 ? 'backoff' : 'starting';
    const generation = (pos.generation += 1);
    const begin = (): void => {
      if (generation !== pos.generation || closed || suspended !== undefined) return;
      pos.state = 'starting';
      // tracked like a stop: close() waits for a start in flight (and the stop that follows it)
      track(hooks.start((why) => {
        if (generation === pos.generation) ended(pos, why);
      }).then((worker) => {
        if (generation !== pos.generation || closed || suspended !== undefined) {
          track(hooks.stop(worker, 'not needed'));
          return;
        }
        Object.assign(pos, { worker, state: 'ready', startFailures: 0, replacing: false });
        refresh();
        pump();
      }, (error: unknown) => {
        if (generation !== pos.generation) return;
        pos.startFailures += 1;
        pos.replacing = false;
        lastStartError = String(error instanceof Error ? error.message : error).slice(0, 300);
        log(`${options.name} worker failed to start (${pos.startFailures} in a row): ${lastStartError}`);
        const backoff = Math.min(options.backoffInitialMs * 2 ** (pos.startFailures - 1), options.backoffMaxMs);
        spawn(pos, Math.max(1, backoff));
        refresh();
      }));
    };
    if (delayMs > 0) pos.timer = setTimeout(begin, delayMs);
    else begin();
  }

  /** The worker ended on its own (crash, kill): its jobs are settled by the hook's run(). */
  function ended(pos: PoolPosition<W>, why: string): void {
    log(`${options.name} worker ended: ${why.slice(0, 300)}`);
    pos.worker = undefined;
    pos.replacing = options.routineReplacement === true;
    spawn(pos, 0);
    refresh();
  }

  /** Replaces the worker once its jobs are done; counts as ready meanwhile. */
  function retire(pos: PoolPosition<W>, why: string): void {
    pos.state = 'draining';
    if (pos.inflight.size > 0 || pos.worker === undefined) return;
    const worker = pos.worker;
    pos.worker = undefined;
    pos.replacing = true;
    track(hooks.stop(worker, why));
    spawn(pos, 0);
    refresh();
  }

  function track(p: Promise<void>): void {
    stopping.add(p);
    void p.finally(() => stopping.delete(p));
  }

  function freePosition(): PoolPosition<W> | undefined {
    let best: PoolPosition<W> | undefined;
    for (const pos of positions) {
      if (pos.state !== 'ready' || pos.inflight.size >= perWorker) continue;
      if (best === undefined || pos.inflight.size < best.inflight.size) best = pos;
    }
    return best;
  }

  function dispatch(pos: PoolPosition<W>, w: PoolWaiting): void {
    clearTimeout(w.timer);
    const at = queue.indexOf(w);
    if (at >= 0) queue.splice(at, 1);
    const worker = pos.worker as W;
    const stop = new AbortController();
    w.running = { stop };
    pos.inflight.add(w);
    busy.set(w.principal, count(w.principal) + 1);
    void hooks.run(worker, w.job, w.limits, stop.signal).then((outcome) => {
      pos.inflight.delete(w);
      const left = count(w.principal) - 1;
      if (left <= 0) busy.delete(w.principal);
      else busy.set(w.principal, left);
      w.settle(outcome);
      if (pos.worker === worker && (hooks.replaceAfter(worker, outcome) || pos.state === 'draining')) retire(pos, 'replaced after a job');
      pump();
    });
  }

  /** FIFO, skipping jobs whose principal already uses its share of the pool. */
  function pump(): void {
    for (let i = 0; i < queue.length;) {
      const w = queue[i]!;
      const pos = count(w.principal) < perPrincipal ? freePosition() : undefined;
      if (pos !== undefined) dispatch(pos, w);
      else if (freePosition() === undefined) return;
      else i += 1;
    }
  }

  return {
    get started() {
      return started;
    },

    start(): Promise<void> {
      if (closed) return Promise.resolve();
      const ready = new Promise<void>((resolve) => startWaiters.push(resolve));
      if (!started) {
        started = true;
        for (const pos of positions) spawn(pos, 0);
      }
      refresh();
      return ready;
    },

    run(job: WorkerJob, limits: WorkerLimits, signal?: AbortSignal, withdraw?: AbortSignal): Promise<WorkerResult> {
      const startedAt = Date.now();
      const done = (outcome: JobOutcome): WorkerResult => ({ ...outcome, durationMs: Date.now() - startedAt });
      if (closed) return Promise.resolve(done(fail('SBX_ERR_ABORTED', 'the backend was closed')));
      const health = tracker.current;
      if (!started || health.state === 'down') {
        return Promise.resolve(done(fail('SBX_ERR_UNAVAILABLE', `the ${options.name} backend is ${started ? `down (${health.detail ?? ''})` : 'not running'}`)));
      }
      if (signal?.aborted) return Promise.resolve(done(fail('SBX_ERR_ABORTED', 'the call was aborted')));
      if (withdraw?.aborted) return Promise.resolve(done(fail('SBX_ERR_ABORTED', WITHDRAWN)));
      const principal = job.principal ?? '';
      return new Promise<WorkerResult>((resolve) => {
        let settled = false;
        const onAbort = (): void => {
          finish(w, fail('SBX_ERR_ABORTED', 'the call was aborted'));
          w.running?.stop.abort();
        };
        // only while it waits: once dispatched the job is no longer in the queue and runs to its end
        const onWithdraw = (): void => {
          if (queue.includes(w)) finish(w, fail('SBX_ERR_ABORTED', WITHDRAWN));
        };
        const w: PoolWaiting = {
          job, limits, principal, startedAt, timer: undefined, running: undefined,
          settle: (outcome) => {
            if (settled) return;
            settled = true;
            signal?.removeEventListener('abort', onAbort);
            withdraw?.removeEventListener('abort', onWithdraw);
            resolve(done(outcome));
          },
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        withdraw?.addEventListener('abort', onWithdraw, { once: true });
        const pos = count(principal) < perPrincipal && queue.length === 0 ? freePosition() : undefined;
        if (pos !== undefined) return dispatch(pos, w);
        if (queue.length >= queueLimit || queue.filter((q) => q.principal === principal).length >= queuePerPrincipal) {
          return finish(w, fail('SBX_ERR_SATURATED', `all ${options.name} workers are busy`));
        }
        w.timer = setTimeout(() => {
          const none = positions.every((p) => p.state !== 'ready');
          finish(w, none
            ? fail('SBX_ERR_UNAVAILABLE', `no ${options.name} worker became ready within ${queueWaitMs} ms`)
            : fail('SBX_ERR_SATURATED', `no ${options.name} worker was free within ${queueWaitMs} ms`));
        }, queueWaitMs);
        queue.push(w);
        pump();
      });
    },

    abortAll(code: SandboxErrorCode, message: string): number {
      let n = 0;
      for (const w of queue.splice(0)) {
        finish(w, fail(code, message));
        n += 1;
      }
      for (const pos of positions) {
        for (const w of [...pos.inflight]) {
          w.settle(fail(code, message));
          w.running?.stop.abort();
          n += 1;
        }
      }
      return n;
    },

    suspend(detail: string): void {
      if (closed) return;
      suspended = detail;
      for (const pos of positions) {
        pos.generation += 1;
        clearTimeout(pos.timer);
        if (pos.worker !== undefined) track(hooks.stop(pos.worker, detail));
        for (const w of pos.inflight) w.running?.stop.abort();
        Object.assign(pos, { worker: undefined, state: 'empty', replacing: false, startFailures: 0 });
      }
      refresh();
    },

    resume(): void {
      if (closed || suspended === undefined) return;
      suspended = undefined;
      tracker.update({ state: 'degraded', detail: `starting ${options.name} workers`, workers: { ready: 0, total: positions.length } });
      if (!started) return;
      for (const pos of positions) spawn(pos, 0);
      refresh();
    },

    health(): BackendHealth {
      return tracker.current;
    },

    onHealthChange(listener: (change: HealthChange) => void): () => void {
      return tracker.subscribe(listener);
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      for (const w of queue.splice(0)) finish(w, fail('SBX_ERR_ABORTED', 'the backend was closed'));
      for (const pos of positions) {
        pos.generation += 1;
        clearTimeout(pos.timer);
        for (const w of [...pos.inflight]) w.settle(fail('SBX_ERR_ABORTED', 'the backend was closed'));
        if (pos.worker !== undefined) track(hooks.stop(pos.worker, 'backend closed'));
        pos.worker = undefined;
        pos.state = 'empty';
        pos.replacing = false;
      }
      refresh();
      while (stopping.size > 0) await Promise.all([...stopping]);
      startWaiters = [];
    },
  };
}
