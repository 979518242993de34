/** Sandbox limits (DESIGN.md §5). Defaults here; config may lower or raise within the max. */
export const KIB = 1024;
export const MIB = 1024 * 1024;

export const LIMITS = Object.freeze({
  frameBytes: 256 * KIB,
  outputBytes: 256 * KIB,
  timeoutMsDefault: 5_000,
  timeoutMsMax: 60_000,
  isolateMemoryMb: 64,
  dockerMemory: '64m',
  dockerCpus: 0.5,
  dockerPids: 64,
  tmpfsBytes: 16 * MIB,
});

export interface WorkerLimits {
  /** wall-clock limit for one call, ms (1..60000) */
  readonly timeoutMs: number;
  /** memory limit, MiB (isolate heap limit; container memory for docker) */
  readonly memoryMb: number;
  /** max bytes of the JSON-encoded result */
  readonly maxOutputBytes: number;
}

export const DEFAULT_WORKER_LIMITS: WorkerLimits = Object.freeze({
  timeoutMs: LIMITS.timeoutMsDefault,
  memoryMb: LIMITS.isolateMemoryMb,
  maxOutputBytes: LIMITS.outputBytes,
});
