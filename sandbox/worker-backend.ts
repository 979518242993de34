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
  /** docker only: run in a fresh container instead of the warm pool */
  readonly fresh?: boolean;
}

export type WorkerResult =
  | { readonly ok: true; readonly value: JsonValue; readonly durationMs: number }
  | {
      readonly ok: false;
      readonly code: SandboxErrorCode;
      readonly message: string;
      readonly durationMs: number;
    };

export type BackendHealth =
  | { readonly state: 'healthy'; readonly detail?: string }
  | { readonly state: 'degraded'; readonly detail: string }
  | { readonly state: 'down'; readonly detail: string }
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
  run(job: WorkerJob, limits: WorkerLimits, signal?: AbortSignal): Promise<WorkerResult>;
  health(): BackendHealth;
  /** subscribe to health transitions (for alerts); returns an unsubscribe function */
  onHealthChange(listener: (change: HealthChange) => void): () => void;
  /** stops every worker; pending jobs end with SBX_ERR_ABORTED */
  close(): Promise<void>;
}
