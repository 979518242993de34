/**
 * The isolate WorkerBackend (supervisor side): N isolate-host child processes (+ standby
 * spares) driven by the shared pool core (sandbox/pool-core.ts: queue, bounded wait, abort,
 * saturation, health, drain, close). This file supplies the hooks: start a host child, run a job
 * on it (a wall timer kills a stuck child: SBX_ERR_TIMEOUT), replace a child after a timeout or
 * memory-limit, stop it. It never throws for a tool failure: every outcome is a value.
 */
import { fileURLToPath } from 'node:url';
import type { SandboxErrorCode } from '../errors.ts';
import { createPoolCore } from '../pool-core.ts';
import type { WorkerBackend } from '../worker-backend.ts';
import type { ChildCommand } from './child.ts';
import { HOST_NODE_FLAGS } from './exit-codes.ts';
import { hostOptionArgs } from './host-options.ts';
import { HostWorker } from './host-worker.ts';

export interface IsolateBackendOptions {
  /** child processes one principal may use (default 1) */
  readonly children?: number;
  /** standby children kept ready beyond `children`, out of reach of any single principal (default 0) */
  readonly spare?: number;
  /** calls one child runs at once, each in its own isolate (default 1: a child crash then costs one call) */
  readonly concurrencyPerChild?: number;
  /** calls waiting for a free child; beyond it run() answers SBX_ERR_SATURATED (default 64) */
  readonly queueLimit?: number;
  /** calls one principal may have waiting (default queueLimit) */
  readonly queueLimitPerPrincipal?: number;
  /** longest wait in the queue, ms (default 30000) */
  readonly queueWaitMs?: number;
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

/** After these outcomes the child is replaced: a forcibly stopped isolate can leave the process unwell. */
const RECYCLE_AFTER: ReadonlySet<SandboxErrorCode> = new Set<SandboxErrorCode>(['SBX_ERR_TIMEOUT', 'SBX_ERR_MEMORY_LIMIT']);

export function createIsolateBackend(options: IsolateBackendOptions = {}): WorkerBackend {
  const killGraceMs = options.killGraceMs ?? 1000;
  const readyTimeoutMs = options.readyTimeoutMs ?? 15_000;
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
  const queueLimit = options.queueLimit ?? 64;
  const core = createPoolCore<HostWorker>({
    name: 'isolate',
    size: options.children ?? 1,
    spare: options.spare ?? 0,
    perWorker: options.concurrencyPerChild ?? 1,
    queueLimit,
    queueLimitPerPrincipal: options.queueLimitPerPrincipal ?? queueLimit,
    ...(options.queueWaitMs === undefined ? {} : { queueWaitMs: options.queueWaitMs }),
    maxStartFailures: options.maxStartFailures ?? 3,
    backoffInitialMs: options.backoffInitialMs ?? 100,
    backoffMaxMs: options.backoffMaxMs ?? 5_000,
    log,
  }, {
    start: async (died) => {
      const worker = await HostWorker.start(command, readyTimeoutMs, died);
      log(`isolate worker ${String(worker.pid)} ready`);
      return worker;
    },
    run: (worker, job, limits, stop) => worker.run(job, limits, killGraceMs, stop),
    stop: (worker, why) => worker.stop(why),
    replaceAfter: (_worker, outcome) => !outcome.ok && RECYCLE_AFTER.has(outcome.code),
  });

  return {
    name: 'isolate',
    start: () => core.start(),
    run: (job, limits, signal, withdraw) => core.run(job, limits, signal, withdraw),
    abortAll: (code, message) => core.abortAll(code, message),
    health: () => core.health(),
    onHealthChange: (listener) => core.onHealthChange(listener),
    close: () => core.close(),
  };
}
