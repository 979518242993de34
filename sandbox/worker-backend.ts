/**
 * The one interface both worker backends (isolate, docker) implement.
 * A job carries the tool's handler source and the already-validated args; the backend
 * runs the handler inside its sandbox and answers with a result union. It never throws
 * for a tool failure: every outcome is a value.
 */
import type { SandboxErrorCode } from './errors.ts';
import type { JsonValue } from './json.ts';
import type { WorkerLimits } from './limits.ts';

export type BackendName = 'isolate' | 'docker';

export interface WorkerJob {
  readonly callId: string;
  readonly tool: string;
  /**
   * Handler source: the body of an async function with `args` in scope; its returned
   * JSON value is the result. Runs only inside the sandbox.
   */
  readonly handler: string;
  readonly args: JsonValue;
  /**
   * isolate only: the manifest marks the handler trusted; it runs in the host's long-lived hardened
   * realm (sandbox/isolate/trusted-realm.ts) instead of a fresh context. Set from the manifest only.
   */
  readonly trusted?: boolean;
  /** docker only: run in a fresh container instead of the warm pool */
  readonly fresh?: boolean;
  /**
   * docker only, from the manifest: the runtime this job's container must use (issue 20); a
   * runtime stronger than the pool's runs the job in a fresh container of that runtime
   */
  readonly dockerRuntime?: 'runc' | 'runsc';
  /**
   * who sent the job (the agent id): one principal may use at most the pool's nominal size,
   * so the standby spares stay free for others
   */
  readonly principal?: string;
}

export type WorkerResult =
  | { readonly ok: true; readonly value: JsonValue; readonly durationMs: number }
  | {
      readonly ok: false;
      readonly code: SandboxErrorCode;
      readonly message: string;
      readonly durationMs: number;
    };

/** Workers ready (or being replaced on purpose) out of the pool's positions. */
export interface WorkerCounts {
  readonly ready: number;
  readonly total: number;
}

/**
 * healthy: every worker ready · degraded: some ready or restarting, calls are taken (they may
 * wait in the bounded queue) · down: no worker can take a call · disabled: not configured.
 */
export type BackendHealth =
  | { readonly state: 'healthy'; readonly detail?: string; readonly workers?: WorkerCounts }
  | { readonly state: 'degraded'; readonly detail: string; readonly workers?: WorkerCounts }
  | { readonly state: 'down'; readonly detail: string; readonly workers?: WorkerCounts }
  | { readonly state: 'disabled'; readonly detail: string };

export interface HealthChange {
  readonly backend: BackendName;
  readonly from: BackendHealth['state'];
  readonly to: BackendHealth['state'];
  readonly detail: string;
}

export interface WorkerBackend {
  readonly name: BackendName;
  /** starts workers; resolves once the backend can take a job (or has reported itself down) */
  start(): Promise<void>;
  /**
   * `signal`: stop the job wherever it is (a running one has its worker killed). `withdraw`: the
   * caller has gone; a job still waiting for a worker ends with SBX_ERR_ABORTED and is not run,
   * while a job already running is left to finish (killing it would let a client that hangs up
   * restart workers at will, outside the fault ledger).
   */
  run(job: WorkerJob, limits: WorkerLimits, signal?: AbortSignal, withdraw?: AbortSignal): Promise<WorkerResult>;
  /**
   * Ends every queued and running job now with `code` (kill switch: SBX_ERR_KILLED); running
   * jobs have their isolate host or container killed. Returns how many jobs were ended.
   */
  abortAll(code: SandboxErrorCode, message: string): number;
  health(): BackendHealth;
  /** a short note for operators (docker: the worker image and whether it was built at start) */
  describe?(): string | undefined;
  /** subscribe to health transitions (for alerts); returns an unsubscribe function */
  onHealthChange(listener: (change: HealthChange) => void): () => void;
  /** stops every worker; pending jobs end with SBX_ERR_ABORTED */
  close(): Promise<void>;
}
