/**
 * Fault isolation per principal (issue 22 item 2). A job that ends in a worker kill, a timeout
 * or a memory limit is charged to the principal (agent) that sent it; past `threshold` faults
 * within `windowMs` that principal's sandbox calls are refused for `cooldownMs`. Other
 * principals are unaffected. The decisions are pure functions over one principal's record;
 * `FaultLedger` is the thin adapter holding the records.
 */
import type { SandboxErrorCode } from './errors.ts';

export interface FaultPolicy {
  /** faults within the window that trip the throttle (>= 1) */
  readonly threshold: number;
  readonly windowMs: number;
  /** how long a tripped principal is refused */
  readonly cooldownMs: number;
}

export interface PrincipalRecord {
  /** times of recent faults, oldest first, all within the window */
  readonly faults: readonly number[];
  /** refused until then (ms since epoch); 0 when not throttled */
  readonly blockedUntil: number;
}

export const EMPTY_RECORD: PrincipalRecord = Object.freeze({ faults: Object.freeze([]), blockedUntil: 0 });

/** Outcomes that count as the job's fault: they cost the pool a worker (or an isolate). */
export const FAULT_CODES: ReadonlySet<SandboxErrorCode> = new Set<SandboxErrorCode>([
  'SBX_ERR_TIMEOUT', 'SBX_ERR_MEMORY_LIMIT', 'SBX_ERR_WORKER_CRASHED',
]);

export type Admission =
  | { readonly ok: true }
  | { readonly ok: false; readonly code: 'SBX_ERR_PRINCIPAL_THROTTLED'; readonly retryAfterMs: number };

/** May this principal send a sandbox job now? */
export function admitPrincipal(record: PrincipalRecord, now: number): Admission {
  if (record.blockedUntil > now) return { ok: false, code: 'SBX_ERR_PRINCIPAL_THROTTLED', retryAfterMs: record.blockedUntil - now };
  return { ok: true };
}

export interface FaultCharge {
  readonly record: PrincipalRecord;
  /** faults inside the window after this one */
  readonly faults: number;
  /** this fault tripped the throttle */
  readonly tripped: boolean;
}

/** Charges one fault at `now`; trips when the window holds `threshold` faults. */
export function chargeFault(record: PrincipalRecord, policy: FaultPolicy, now: number): FaultCharge {
  const recent = [...record.faults.filter((t) => now - t < policy.windowMs), now];
  if (recent.length >= policy.threshold && record.blockedUntil <= now) {
    // a trip starts the count afresh: after the cooldown the principal gets a full window again
    return { record: { faults: [], blockedUntil: now + policy.cooldownMs }, faults: recent.length, tripped: true };
  }
  return { record: { faults: recent.slice(-policy.threshold), blockedUntil: record.blockedUntil }, faults: recent.length, tripped: false };
}

/** A record that no longer matters (no fault in the window, not blocked) can be dropped. */
export function isIdle(record: PrincipalRecord, policy: FaultPolicy, now: number): boolean {
  return record.blockedUntil <= now && record.faults.every((t) => now - t >= policy.windowMs);
}

export interface Trip {
  readonly principal: string;
  readonly faults: number;
  readonly code: SandboxErrorCode;
  readonly blockedForMs: number;
}

/** Holds the records; bounded (idle records are dropped once the map grows past `maxPrincipals`). */
export class FaultLedger {
  readonly #policy: FaultPolicy;
  readonly #now: () => number;
  readonly #records = new Map<string, PrincipalRecord>();
  readonly #maxPrincipals: number;

  constructor(policy: FaultPolicy, options: { now?: () => number; maxPrincipals?: number } = {}) {
    this.#policy = policy;
    this.#now = options.now ?? Date.now;
    this.#maxPrincipals = options.maxPrincipals ?? 10_000;
  }

  admit(principal: string): Admission {
    return admitPrincipal(this.#records.get(principal) ?? EMPTY_RECORD, this.#now());
  }

  /** Records the outcome of a job; returns the trip when this outcome tripped the throttle. */
  record(principal: string, code: SandboxErrorCode | undefined): Trip | undefined {
    if (code === undefined || !FAULT_CODES.has(code)) return undefined;
    const now = this.#now();
    const charge = chargeFault(this.#records.get(principal) ?? EMPTY_RECORD, this.#policy, now);
    this.#records.set(principal, charge.record);
    if (this.#records.size > this.#maxPrincipals) {
      for (const [p, r] of this.#records) if (isIdle(r, this.#policy, now)) this.#records.delete(p);
    }
    return charge.tripped ? { principal, faults: charge.faults, code, blockedForMs: this.#policy.cooldownMs } : undefined;
  }
}
