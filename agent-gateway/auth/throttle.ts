/**
 * Login throttling that runs before any PBKDF2 work. Each attempt names the buckets it is
 * counted in (e.g. per username + per client + global for an untrusted client, or only its own
 * device bucket); it is admitted only when every bucket is under its limit, and is then counted
 * in all of them at once (so concurrent attempts cannot all slip past one check). A successful
 * login refunds its count: only failures accumulate. Fixed windows per bucket; the map is
 * bounded (oldest windows evicted first).
 */
export interface Bucket {
  readonly key: string;
  readonly limit: number;
}

interface Window {
  count: number;
  resetAt: number;
}

export type Admission = { ok: true; keys: readonly string[] } | { ok: false; key: string; retryAfterSeconds: number };

/** Pure: given each bucket's current window (or none), admit or name the exhausted bucket. */
export function decideAdmission(buckets: readonly Bucket[], windows: ReadonlyMap<string, Window>, now: number): Admission {
  for (const b of buckets) {
    const w = windows.get(b.key);
    if (w !== undefined && w.resetAt > now && w.count >= b.limit) {
      return { ok: false, key: b.key, retryAfterSeconds: Math.max(1, Math.ceil((w.resetAt - now) / 1000)) };
    }
  }
  return { ok: true, keys: buckets.map((b) => b.key) };
}

export class LoginThrottle {
  readonly #windows = new Map<string, Window>();
  readonly #windowMs: number;
  readonly #maxKeys: number;
  readonly #now: () => number;
  constructor(windowSeconds: number, now: () => number = Date.now, maxKeys = 50_000) {
    this.#windowMs = windowSeconds * 1000;
    this.#now = now;
    this.#maxKeys = maxKeys;
  }

  admit(buckets: readonly Bucket[]): Admission {
    const now = this.#now();
    const decision = decideAdmission(buckets, this.#windows, now);
    if (!decision.ok) return decision;
    for (const key of decision.keys) {
      const w = this.#windows.get(key);
      if (w === undefined || w.resetAt <= now) {
        this.#windows.delete(key); // re-insert: the map stays in window-start order for eviction
        this.#windows.set(key, { count: 1, resetAt: now + this.#windowMs });
      } else {
        w.count += 1;
      }
    }
    while (this.#windows.size > this.#maxKeys) {
      const oldest = this.#windows.keys().next().value;
      if (oldest === undefined) break;
      this.#windows.delete(oldest);
    }
    return decision;
  }

  /** a successful attempt is not counted */
  refund(keys: readonly string[]): void {
    const now = this.#now();
    for (const key of keys) {
      const w = this.#windows.get(key);
      if (w !== undefined && w.resetAt > now && w.count > 0) w.count -= 1;
    }
  }
}
