/** Types of the shared worker-pool core (sandbox/pool-core.ts): the hooks a backend supplies and the options. */
import type { SandboxErrorCode } from './errors.ts';
import type { JsonValue } from './json.ts';
import type { WorkerLimits } from './limits.ts';
import type { BackendHealth, BackendName, HealthChange, WorkerJob, WorkerResult } from './worker-backend.ts';

export type JobOutcome =
  | { readonly ok: true; readonly value: JsonValue }
  | { readonly ok: false; readonly code: SandboxErrorCode; readonly message: string };

export interface PoolHooks<W> {
  /** Starts one worker; resolves once it takes jobs, rejects when it could not start. Call `died` once if it ends later. */
  start(died: (why: string) => void): Promise<W>;
  /** Runs one job; never rejects. When `stop` fires the job must end promptly (kill what runs it). */
  run(worker: W, job: WorkerJob, limits: WorkerLimits, stop: AbortSignal): Promise<JobOutcome>;
  /** Stops a worker for good; never rejects. */
  stop(worker: W, why: string): Promise<void>;
  /** After a job: replace this worker (single-use container, isolate host after a forced stop). */
  replaceAfter(worker: W, outcome: JobOutcome): boolean;
}

export interface PoolOptions {
  readonly name: BackendName;
  /** workers one principal may use at once (the pool's nominal size) */
  readonly size: number;
  /** standby workers kept ready beyond `size`, out of reach of any single principal (default 0) */
  readonly spare?: number;
  /** jobs one worker runs at once (default 1) */
  readonly perWorker?: number;
  /** queued jobs; beyond it run() answers SBX_ERR_SATURATED at once */
  readonly queueLimit: number;
  /** queued jobs of one principal (default queueLimit) */
  readonly queueLimitPerPrincipal?: number;
  /** longest a job waits in the queue (default 30 s): then SATURATED, or UNAVAILABLE when no worker is ready */
  readonly queueWaitMs?: number;
  readonly maxStartFailures: number;
  readonly backoffInitialMs: number;
  readonly backoffMaxMs: number;
  /** a worker that ends is routine (single-use containers): its replacement counts as ready until a start fails */
  readonly routineReplacement?: boolean;
  /** health before start() */
  readonly initialHealth?: BackendHealth;
  readonly log?: (line: string) => void;
}

export interface PoolCore {
  start(): Promise<void>;
  /** `withdraw`: as WorkerBackend.run (a queued job is dropped, a running one finishes) */
  run(job: WorkerJob, limits: WorkerLimits, signal?: AbortSignal, withdraw?: AbortSignal): Promise<WorkerResult>;
  /** Ends every queued and running job now with `code` (running ones: their worker is stopped). */
  abortAll(code: SandboxErrorCode, message: string): number;
  /** Down with `detail` (docker daemon gone): queued jobs fail, workers stop, nothing restarts. */
  suspend(detail: string): void;
  /** Leaves a suspension and starts workers again. */
  resume(): void;
  readonly started: boolean;
  health(): BackendHealth;
  onHealthChange(listener: (change: HealthChange) => void): () => void;
  close(): Promise<void>;
}

/** A job in the pool: queued, then running on a position. */
export interface PoolWaiting {
  readonly job: WorkerJob;
  readonly limits: WorkerLimits;
  readonly principal: string;
  readonly startedAt: number;
  readonly settle: (outcome: JobOutcome) => void;
  timer: NodeJS.Timeout | undefined;
  running: { readonly stop: AbortController } | undefined;
}

/** One place in the pool that holds at most one worker at a time and restarts it on its own. */
export interface PoolPosition<W> {
  worker: W | undefined;
  state: 'empty' | 'starting' | 'ready' | 'draining' | 'backoff';
  readonly inflight: Set<PoolWaiting>;
  startFailures: number;
  /** being replaced on purpose or as routine: counts as ready for health */
  replacing: boolean;
  generation: number;
  timer: NodeJS.Timeout | undefined;
}
