/**
 * When a reused worker container must be retired (issue 15). Pure: the backend asks after every
 * job and on its health tick, and replaces the container when the answer says so.
 *
 * Rules, all configurable (DockerBackendOptions / PALISADE_DOCKER_* in the README's Configuration table):
 * - `maxJobs` jobs run (default 1024): bounds what one process accumulates. The time bound below
 *   is what bounds how long a worker lives (N only shortens it under load). The default is set
 *   from what a container costs: about 0.34 s of CPU to boot (226 ms to ready + 110 ms to build
 *   the hardened realm on the first trusted job, runc, 2026-12-03) against about 0.54 ms of CPU
 *   per echo job. At N = 256 the boot cost 1.3 ms per job, 2.4 times the job itself, and bounded
 *   Docker echo at 246-317 calls/s; at N = 1024 it is 0.33 ms per job and 482-516 calls/s
 *   (the same bench rows, alternating, same hour).
 * - `maxAgeMs` since the worker became ready (default 10 min), checked after jobs and while idle.
 * - the job ended with a limit or a crash (timeout, memory, worker crash, aborted, killed): the
 *   code that hit the limit may have left the process in a state we do not want to reason about.
 * - the worker reported its heap above `maxHeapBytes` (default half the container's memory): a leak or fragmentation in the worker ends its container before the OOM killer does.
 * - a protocol violation ends the container at once (worker-container.ts), so it is `dead` here.
 * A job result that is the handler's own failure (it threw, returned non-JSON, too much output)
 * does not retire the container: the isolate it ran in is disposed anyway.
 */
import type { SandboxErrorCode } from '../errors.ts';

export interface RecycleRules {
  readonly maxJobs: number;
  readonly maxAgeMs: number;
  readonly maxHeapBytes: number;
}

export interface ContainerLife {
  readonly dead: boolean;
  readonly jobsRun: number;
  readonly readyAt: number;
  readonly heapBytes: number | undefined;
}

export type RecycleVerdict = { readonly retire: false } | { readonly retire: true; readonly reason: string };

/** Outcomes after which the container is replaced even though it still answers. */
export const RETIRING_CODES: ReadonlySet<SandboxErrorCode> = new Set<SandboxErrorCode>([
  'SBX_ERR_TIMEOUT',
  'SBX_ERR_MEMORY_LIMIT',
  'SBX_ERR_WORKER_CRASHED',
  'SBX_ERR_ABORTED',
  'SBX_ERR_KILLED',
]);

export const DEFAULT_RECYCLE_RULES: RecycleRules = Object.freeze({ maxJobs: 1024, maxAgeMs: 600_000, maxHeapBytes: Number.MAX_SAFE_INTEGER });

export function recycleVerdict(life: ContainerLife, rules: RecycleRules, now: number, outcome?: { readonly ok: boolean; readonly code?: SandboxErrorCode }): RecycleVerdict {
  if (life.dead) return { retire: true, reason: 'container ended' };
  if (outcome !== undefined && !outcome.ok && outcome.code !== undefined && RETIRING_CODES.has(outcome.code)) {
    return { retire: true, reason: `a job ended ${outcome.code}` };
  }
  if (life.jobsRun >= rules.maxJobs) return { retire: true, reason: `ran ${life.jobsRun} jobs (max ${rules.maxJobs})` };
  if (now - life.readyAt >= rules.maxAgeMs) return { retire: true, reason: `older than ${Math.round(rules.maxAgeMs / 1000)} s` };
  if (life.heapBytes !== undefined && life.heapBytes > rules.maxHeapBytes) {
    return { retire: true, reason: `worker heap ${Math.round(life.heapBytes / 1048576)} MiB above ${Math.round(rules.maxHeapBytes / 1048576)} MiB` };
  }
  return { retire: false };
}

/** Rules for a container of `memoryBytes`: the heap threshold is half of it unless given. */
export function recycleRules(memoryBytes: number, given: Partial<RecycleRules> = {}): RecycleRules {
  return {
    maxJobs: given.maxJobs ?? DEFAULT_RECYCLE_RULES.maxJobs,
    maxAgeMs: given.maxAgeMs ?? DEFAULT_RECYCLE_RULES.maxAgeMs,
    maxHeapBytes: given.maxHeapBytes ?? Math.floor(memoryBytes / 2),
  };
}
