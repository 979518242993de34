/**
 * The isolate WorkerBackend (supervisor side): N isolate-host child processes, bounded
 * concurrency per child, a bounded FIFO queue (full -> SBX_ERR_SATURATED at once), a wall
 * timer per call that kills a stuck child (SBX_ERR_TIMEOUT; the child is restarted), and
 * re-checks of every result. It never throws for a tool failure: every outcome is a value.
 */
import { fileURLToPath } from 'node:url';
import type { SandboxErrorCode } from '../errors.ts';
import type { WorkerLimits } from '../limits.ts';
import type { BackendHealth, HealthChange, WorkerBackend, WorkerJob, WorkerResult } from '../worker-backend.ts';
import type { ChildCommand, ChildEnd } from './child.ts';
import { HOST_NODE_FLAGS } from './exit-codes.ts';
import { computeHealth, HealthTracker } from './health.ts';
import { hostOptionArgs } from './host-options.ts';
import { checkReply, codeForChildEnd } from './result-check.ts';
import { WorkerSlot, type InflightJob } from './slot.ts';

export interface IsolateBackendOptions {
  /** child processes (default 1) */
  readonly children?: number;
  /** calls one child runs at once, each in its own isolate (default 1: a child crash then costs one call) */
  readonly concurrencyPerChild?: number;
  /** calls waiting for a free child; beyond it run() answers SBX_ERR_SATURATED (default 64) */
  readonly queueLimit?: number;
  /** isolates kept warm per child (default 2) */
  readonly poolSize?: number;
  /** memory limit of the warm isolates, MiB (config.limits.isolateMemoryMb; default 64) */
  readonly defaultMemoryMb?: number;
  /** an isolate is disposed after this many calls (default 100) */
  readonly maxCallsPerIsolate?: number;
  /** extra time after timeoutMs before the supervisor kills a stuck child (default 1000) */
  readonly killGraceMs?: number;
  /** a child that is not ready by then is killed and counts as a failed start (default 15000) */
  readonly readyTimeoutMs?: number;
  readonly backoffInitialMs?: number;
  readonly backoffMaxMs?: number;
  /** failed starts in a row after which a child counts as failing (default 3) */
  readonly maxStartFailures?: number;
  /** replaces the child command (tests start fake children with it) */
  readonly command?: ChildCommand;
  /** receives supervisor log lines (child exits, restarts); default: none */
  readonly log?: (line: string) => void;
}

export const HOST_ENTRY = fileURLToPath(new URL('./host.ts', import.meta.url));

/** After these outcomes the child is replaced (see WorkerSlot.recycle). */
const RECYCLE_AFTER: ReadonlySet<SandboxErrorCode> = new Set<SandboxErrorCode>(['SBX_ERR_TIMEOUT', 'SBX_ERR_MEMORY_LIMIT']);

interface Waiting {
  readonly job: WorkerJob;
  readonly limits: WorkerLimits;
  readonly startedAt: number;
  readonly settle: (result: WorkerResult) => void;
}

export function createIsolateBackend(options: IsolateBackendOptions = {}): WorkerBackend {
  const childCount = Math.max(1, options.children ?? 1);
  const perChild = Math.max(1, options.concurrencyPerChild ?? 1);
  const queueLimit = Math.max(0, options.queueLimit ?? 64);
  const killGraceMs = options.killGraceMs ?? 1000;
  const maxStartFailures = options.maxStartFailures ?? 3;
  const log = options.log ?? ((): void => undefined);
  const command: ChildCommand = options.command ?? {
    command: process.execPath,
    args: [
      ...HOST_NODE_FLAGS,
      HOST_ENTRY,
      ...hostOptionArgs({
        ...(options.poolSize !== undefined ? { poolSize: options.poolSize } : {}),
        ...(options.maxCallsPerIsolate !== undefined ? { maxCallsPerIsolate: options.maxCallsPerIsolate } : {}),
        ...(options.defaultMemoryMb !== undefined ? { defaultMemoryMb: options.defaultMemoryMb } : {}),
      }),
    ],
  };

  const health = new HealthTracker();
  const queue: Waiting[] = [];
  let started = false;
  let closed = false;
  let nextId = 0;
  let startWaiters: Array<() => void> = [];

  const fail = (startedAt: number, code: SandboxErrorCode, message: string): WorkerResult => ({
    ok: false, code, message, durationMs: Date.now() - startedAt,
  });

  const slots: WorkerSlot[] = Array.from({ length: childCount }, () => new WorkerSlot(command, {
    readyTimeoutMs: options.readyTimeoutMs ?? 15_000,
    backoffInitialMs: options.backoffInitialMs ?? 100,
    backoffMaxMs: options.backoffMaxMs ?? 5_000,
  }, { onReady, onResult, onEnd }));

  function refreshHealth(): void {
    const ready = slots.filter((s) => s.serving).length;
    const failing = slots.filter((s) => !s.ready && s.startFailures >= maxStartFailures).length;
    health.update(computeHealth({ closed, started, children: childCount, ready, failing }));
    if (health.current.state === 'down' && started && !closed) {
      for (const w of queue.splice(0)) w.settle(fail(w.startedAt, 'SBX_ERR_UNAVAILABLE', 'no isolate worker is running'));
    }
    if (slots.every((s) => s.ready || s.startFailures >= maxStartFailures) || closed) {
      for (const resolve of startWaiters.splice(0)) resolve();
    }
  }

  function onReady(slot: WorkerSlot): void {
    log(`isolate worker ${String(slot.child?.pid)} ready`);
    refreshHealth();
    pump();
  }

  function onResult(slot: WorkerSlot, message: Parameters<typeof checkReply>[0]): void {
    const job = slot.inflight.get(message.id);
    if (job === undefined) {
      slot.kill('result for an unknown job id');
      return;
    }
    const checked = checkReply(message, job.limits.maxOutputBytes);
    if (checked.kind === 'violation') {
      slot.kill(checked.detail);
      return;
    }
    slot.inflight.delete(message.id);
    clearTimeout(job.timer);
    job.settle(checked.kind === 'ok'
      ? { ok: true, value: checked.value, durationMs: Date.now() - job.startedAt }
      : fail(job.startedAt, checked.code, checked.message));
    if (checked.kind === 'failed' && RECYCLE_AFTER.has(checked.code)) slot.recycle();
    else if (!slot.accepting && slot.ready) slot.recycle(); // finish a drain started earlier
    pump();
  }

  function onEnd(_slot: WorkerSlot, end: ChildEnd, jobs: InflightJob[]): void {
    log(`isolate worker ended: ${JSON.stringify(end).slice(0, 2000)}`);
    const { code, message } = codeForChildEnd(end);
    for (const job of jobs) {
      clearTimeout(job.timer);
      job.settle(fail(job.startedAt, closed ? 'SBX_ERR_ABORTED' : code, closed ? 'the backend was closed' : message));
    }
    refreshHealth();
  }

  function dispatch(slot: WorkerSlot, waiting: Waiting): void {
    const { job, limits, startedAt, settle } = waiting;
    const id = `j${(nextId += 1)}`;
    const sent = slot.child!.send({
      t: 'run', id, handler: job.handler, args: job.args,
      timeoutMs: limits.timeoutMs, memoryMb: limits.memoryMb, maxOutputBytes: limits.maxOutputBytes,
    });
    if (!sent.ok) {
      settle(fail(startedAt, sent.code, sent.message));
      return;
    }
    const timer = setTimeout(() => {
      const stuck = slot.inflight.get(id);
      if (stuck === undefined) return;
      slot.inflight.delete(id);
      stuck.settle(fail(startedAt, 'SBX_ERR_TIMEOUT', 'time limit reached; the worker was restarted'));
      slot.kill('call exceeded its time limit');
    }, limits.timeoutMs + killGraceMs);
    slot.inflight.set(id, { id, limits, startedAt, timer, settle });
  }

  function freeSlot(): WorkerSlot | undefined {
    let best: WorkerSlot | undefined;
    for (const slot of slots) {
      if (!slot.accepting || slot.inflight.size >= perChild) continue;
      if (best === undefined || slot.inflight.size < best.inflight.size) best = slot;
    }
    return best;
  }

  function pump(): void {
    for (let slot = freeSlot(); slot !== undefined && queue.length > 0; slot = freeSlot()) {
      dispatch(slot, queue.shift()!);
    }
  }

  return {
    name: 'isolate',
    async start(): Promise<void> {
      if (started || closed) return;
      started = true;
      const ready = new Promise<void>((resolve) => startWaiters.push(resolve));
      for (const slot of slots) slot.spawn();
      refreshHealth();
      await ready;
    },

    run(job: WorkerJob, limits: WorkerLimits, signal?: AbortSignal): Promise<WorkerResult> {
      const startedAt = Date.now();
      if (closed) return Promise.resolve(fail(startedAt, 'SBX_ERR_ABORTED', 'the backend was closed'));
      if (!started || health.current.state === 'down') {
        return Promise.resolve(fail(startedAt, 'SBX_ERR_UNAVAILABLE', 'the isolate backend is not running'));
      }
      if (signal?.aborted) return Promise.resolve(fail(startedAt, 'SBX_ERR_ABORTED', 'the call was aborted'));
      return new Promise<WorkerResult>((resolve) => {
        let done = false;
        const onAbort = (): void => {
          const index = queue.indexOf(waiting);
          if (index >= 0) queue.splice(index, 1);
          // an in-flight call keeps its slot busy until the worker answers or its timer kills it
          settle(fail(startedAt, 'SBX_ERR_ABORTED', 'the call was aborted'));
        };
        const settle = (result: WorkerResult): void => {
          if (done) return;
          done = true;
          signal?.removeEventListener('abort', onAbort);
          resolve(result);
        };
        const waiting: Waiting = { job, limits, startedAt, settle };
        signal?.addEventListener('abort', onAbort, { once: true });
        const slot = freeSlot();
        if (slot !== undefined && queue.length === 0) dispatch(slot, waiting);
        else if (queue.length >= queueLimit) settle(fail(startedAt, 'SBX_ERR_SATURATED', 'all isolate workers are busy'));
        else queue.push(waiting);
      });
    },

    health(): BackendHealth {
      return health.current;
    },

    onHealthChange(listener: (change: HealthChange) => void): () => void {
      return health.subscribe(listener);
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      for (const w of queue.splice(0)) w.settle(fail(w.startedAt, 'SBX_ERR_ABORTED', 'the backend was closed'));
      await Promise.all(slots.map((s) => s.close()));
      refreshHealth();
      startWaiters = [];
    },
  };
}
