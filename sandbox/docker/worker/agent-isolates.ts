/**
 * Untrusted jobs inside the Docker worker (issue 15): which isolate a job runs in, and whether
 * that isolate may take the next job. Creating an isolate costs 5-10 ms of CPU (20+ ms under a
 * 0.5-CPU quota), a context about 0.5-1 ms, so a job runs in a FRESH CONTEXT of an isolate that
 * belongs to ITS AGENT, created ahead of time:
 *   - one kept isolate per principal (the agent id from the run message), at most `maxKept`
 *     principals, least recently used dropped first; jobs of different principals never share
 *     an isolate (their heaps, GC timing and Symbol registry stay apart); a job without a
 *     principal gets an isolate of its own, disposed after it;
 *   - the context the next job of that principal gets is created right after a job ends (on
 *     the isolate's thread, while the result travels back), so creation is off the critical path;
 *   - one spare isolate, never used, with its context, is ready for a principal that has none;
 *   - an isolate is disposed instead of kept (reuseVerdict, pure): after any failed job, after
 *     `maxJobs` jobs, when the job left its heap (used + external) above `maxHeapBytes` (its
 *     memory is then returned at once instead of waiting for a GC, under the container's quota),
 *     or when a concurrent job of the same principal was already given back.
 * A context shares nothing with the next one of the same isolate but the heap: no global,
 * prototype, intrinsic or timer carries over (each context builds its own intrinsics; a context
 * has no timer API), test/integration/docker-two-layer.test.ts proves it job to job.
 */
import type ivmType from 'isolated-vm';
import type { SandboxErrorCode } from '../../errors.ts';

export interface ReuseRules {
  /** jobs one isolate runs before it is disposed */
  readonly maxJobs: number;
  /** heap used + external after a job above which the isolate is disposed, bytes */
  readonly maxHeapBytes: number;
  /** principals whose isolate is kept at once */
  readonly maxKept: number;
}

export const DEFAULT_REUSE_RULES: ReuseRules = Object.freeze({ maxJobs: 64, maxHeapBytes: 4 * 1024 * 1024, maxKept: 2 });

export type ReuseVerdict = { readonly reuse: true } | { readonly reuse: false; readonly reason: string };

export interface IsolateUse {
  /** the principal the isolate serves; undefined: a job without a principal */
  readonly principal: string | undefined;
  /** jobs run in it, this one included */
  readonly jobs: number;
  readonly disposed: boolean;
  /** heap used + external memory after the job, bytes */
  readonly heapBytes: number;
}

/** May this isolate run the next job of its principal (in a fresh context)? */
export function reuseVerdict(use: IsolateUse, outcome: { readonly ok: boolean; readonly code?: SandboxErrorCode }, rules: ReuseRules): ReuseVerdict {
  if (use.disposed) return { reuse: false, reason: 'disposed' };
  if (use.principal === undefined) return { reuse: false, reason: 'no principal' };
  if (!outcome.ok) return { reuse: false, reason: `the job failed (${outcome.code ?? 'error'})` };
  if (use.jobs >= rules.maxJobs) return { reuse: false, reason: `ran ${use.jobs} jobs` };
  if (use.heapBytes > rules.maxHeapBytes) return { reuse: false, reason: `heap ${use.heapBytes} bytes after the job` };
  return { reuse: true };
}

export interface AgentIsolate {
  readonly isolate: ivmType.Isolate;
  readonly memoryMb: number;
  /** set when a job takes it; never changes afterwards */
  principal: string | undefined;
  jobs: number;
  /** the context its next job gets, created ahead of time */
  next: Promise<ivmType.Context> | undefined;
}

type Ivm = typeof ivmType;

function dispose(entry: AgentIsolate): void {
  try {
    if (!entry.isolate.isDisposed) entry.isolate.dispose();
  } catch {
    /* already gone */
  }
}

function heapOf(isolate: ivmType.Isolate): number {
  try {
    const stats = isolate.getHeapStatisticsSync();
    return stats.used_heap_size + stats.externally_allocated_size;
  } catch {
    return Number.MAX_SAFE_INTEGER;
  }
}

export class AgentIsolates {
  readonly #ivm: Ivm;
  readonly #rules: ReuseRules;
  readonly #onCatastrophicError: () => void;
  /** principal → its idle isolate (Map order: least recently used first) */
  readonly #kept = new Map<string, AgentIsolate>();
  #spare: AgentIsolate | undefined;

  constructor(ivm: Ivm, onCatastrophicError: () => void, rules: ReuseRules = DEFAULT_REUSE_RULES) {
    this.#ivm = ivm;
    this.#rules = rules;
    this.#onCatastrophicError = onCatastrophicError;
  }

  /** principals with a kept isolate (tests, diagnostics) */
  get keptCount(): number {
    return this.#kept.size;
  }

  /** creates the spare isolate (and its first context) unless one of this size is ready */
  prepareSpare(memoryMb: number): void {
    if (this.#spare !== undefined && this.#spare.memoryMb === memoryMb && !this.#spare.isolate.isDisposed) return;
    if (this.#spare !== undefined) dispose(this.#spare);
    this.#spare = this.#create(memoryMb);
  }

  /** The isolate a job of `principal` runs in; it belongs to the caller until `release`. */
  acquire(principal: string | undefined, memoryMb: number): AgentIsolate {
    if (principal !== undefined) {
      const kept = this.#kept.get(principal);
      if (kept !== undefined) {
        this.#kept.delete(principal);
        if (kept.memoryMb === memoryMb && !kept.isolate.isDisposed) return kept;
        dispose(kept);
      }
    }
    let entry: AgentIsolate;
    if (this.#spare !== undefined && this.#spare.memoryMb === memoryMb && !this.#spare.isolate.isDisposed) {
      entry = this.#spare;
      this.#spare = undefined;
    } else {
      entry = this.#create(memoryMb);
    }
    entry.principal = principal;
    return entry;
  }

  /** The fresh context for the job now: the one created ahead of time, else a new one. */
  takeContext(entry: AgentIsolate): Promise<ivmType.Context> {
    const context = entry.next ?? entry.isolate.createContext();
    entry.next = undefined;
    return context;
  }

  /** After the job: keep the isolate for its principal's next job (with a new context) or dispose it. */
  release(entry: AgentIsolate, outcome: { readonly ok: boolean; readonly code?: SandboxErrorCode }): ReuseVerdict {
    entry.jobs += 1;
    const disposed = entry.isolate.isDisposed;
    const verdict = reuseVerdict({ principal: entry.principal, jobs: entry.jobs, disposed, heapBytes: disposed ? 0 : heapOf(entry.isolate) }, outcome, this.#rules);
    const principal = entry.principal;
    if (!verdict.reuse || principal === undefined || this.#kept.has(principal)) {
      dispose(entry);
      return verdict.reuse ? { reuse: false, reason: 'the principal already has an isolate' } : verdict;
    }
    this.#precreate(entry);
    this.#kept.set(principal, entry);
    for (const [oldest, old] of this.#kept) {
      if (this.#kept.size <= this.#rules.maxKept) break;
      this.#kept.delete(oldest);
      dispose(old);
    }
    return verdict;
  }

  close(): void {
    for (const entry of this.#kept.values()) dispose(entry);
    this.#kept.clear();
    if (this.#spare !== undefined) dispose(this.#spare);
    this.#spare = undefined;
  }

  #create(memoryMb: number): AgentIsolate {
    const isolate = new this.#ivm.Isolate({ memoryLimit: memoryMb, onCatastrophicError: this.#onCatastrophicError });
    const entry: AgentIsolate = { isolate, memoryMb, principal: undefined, jobs: 0, next: undefined };
    this.#precreate(entry);
    return entry;
  }

  #precreate(entry: AgentIsolate): void {
    if (entry.next !== undefined || entry.isolate.isDisposed) return;
    const next = entry.isolate.createContext();
    next.catch(() => undefined); // the isolate may be disposed before the context is used
    entry.next = next;
  }
}
