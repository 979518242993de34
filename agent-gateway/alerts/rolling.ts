/** Count of events in the last `windowSeconds`, in one-second buckets (bounded memory). */
const MAX_WINDOW_SECONDS = 3600;

export class RollingCounter {
  readonly #now: () => number;
  readonly #buckets = new Map<number, number>();

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  add(n = 1): void {
    const s = Math.floor(this.#now() / 1000);
    this.#buckets.set(s, (this.#buckets.get(s) ?? 0) + n);
    if (this.#buckets.size > MAX_WINDOW_SECONDS) this.count(MAX_WINDOW_SECONDS);
  }

  /** Events in the last `windowSeconds` (the current second included); drops older buckets. */
  count(windowSeconds: number): number {
    const s = Math.floor(this.#now() / 1000);
    let total = 0;
    for (const [k, v] of this.#buckets) {
      if (k <= s - windowSeconds) this.#buckets.delete(k);
      else total += v;
    }
    return total;
  }
}
