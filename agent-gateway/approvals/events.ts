/** In-process change feed for GET /approvals/stream (SSE). Bounded number of subscribers. */
import type { ApprovalItem } from './item.ts';

export type ApprovalChange =
  | { readonly type: 'approval.created'; readonly item: ApprovalItem }
  | { readonly type: 'approval.updated'; readonly item: ApprovalItem };

export type ApprovalListener = (change: ApprovalChange) => void;

export class ApprovalEvents {
  readonly #listeners = new Set<ApprovalListener>();
  readonly #max: number;

  constructor(maxSubscribers = 256) {
    this.#max = maxSubscribers;
  }

  subscribe(fn: ApprovalListener): { ok: true; unsubscribe: () => void } | { ok: false; code: 'GW_ERR_UNAVAILABLE' } {
    if (this.#listeners.size >= this.#max) return { ok: false, code: 'GW_ERR_UNAVAILABLE' };
    this.#listeners.add(fn);
    return { ok: true, unsubscribe: () => void this.#listeners.delete(fn) };
  }

  get size(): number {
    return this.#listeners.size;
  }

  /** A throwing listener never stops the others or the caller. */
  emit(change: ApprovalChange): void {
    for (const fn of [...this.#listeners]) {
      try {
        fn(change);
      } catch {
        // a broken subscriber (closed SSE socket) must not affect the queue
      }
    }
  }
}
