/**
 * Waiting for an admin's decision on a queued call (PALISADE_MCP_APPROVAL_WAIT_SECONDS > 0).
 * The wait only observes: it subscribes to the approval change feed, never decides, and a
 * caller that goes away (abort) or runs out of time leaves the approval exactly as it was, so
 * an admin can still approve it. Every exit path removes the listener and clears the timers.
 */
import type { ApprovalEvents } from '../approvals/events.ts';
import type { ApprovalItem } from '../approvals/item.ts';
import type { CallRecord } from '../approvals/calls.ts';

export type WaitState =
  | { readonly state: 'waiting' }
  | { readonly state: 'done'; readonly record: CallRecord }
  | { readonly state: 'rejected' }
  | { readonly state: 'expired' }
  | { readonly state: 'missing' };

/**
 * Where a queued call stands, from its approval item and call record. Pure. A call is done only
 * once its record is terminal (ok/error), so an approved call that is still running is waited on.
 */
export function waitState(item: ApprovalItem | undefined, record: CallRecord | undefined): WaitState {
  if (item === undefined) return { state: 'missing' };
  switch (item.status) {
    case 'pending':
    case 'approved':
      return { state: 'waiting' };
    case 'rejected':
      return { state: 'rejected' };
    case 'expired':
      return { state: 'expired' };
    case 'executed':
    case 'failed':
      if (record === undefined) return { state: 'missing' };
      return record.status === 'ok' || record.status === 'error' ? { state: 'done', record } : { state: 'waiting' };
    default: {
      const never: never = item.status;
      return never;
    }
  }
}

export type WaitOutcome =
  | Exclude<WaitState, { state: 'waiting' }>
  | { readonly state: 'timeout' }
  | { readonly state: 'aborted' }
  | { readonly state: 'unavailable' };

export interface WaitDeps {
  readonly approvals: { get(id: string): ApprovalItem | undefined };
  readonly calls: { get(callId: string): CallRecord | undefined };
  readonly approvalEvents: ApprovalEvents;
  /** the approval store's clock (expires_at is on it) */
  readonly now?: () => number;
}

export interface WaitOptions {
  readonly approvalId: string;
  readonly callId: string;
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
  /** called every `tickMs` while waiting (progress notifications); errors are ignored */
  readonly onTick?: (elapsedMs: number) => void;
  readonly tickMs?: number;
}

/** Extra time after `expires_at` before the item is read again so the store expires it. */
const EXPIRY_SLACK_MS = 50;
/** Node timers overflow past 2^31-1 ms. */
const MAX_TIMER_MS = 2_147_483_647;

export function waitForDecision(deps: WaitDeps, opts: WaitOptions): Promise<WaitOutcome> {
  return new Promise<WaitOutcome>((resolve) => {
    if (opts.signal.aborted) {
      resolve({ state: 'aborted' });
      return;
    }
    const started = Date.now();
    const timers: NodeJS.Timeout[] = [];
    let unsubscribe: (() => void) | undefined;
    let settled = false;
    const finish = (outcome: WaitOutcome): void => {
      if (settled) return;
      settled = true;
      for (const t of timers) clearTimeout(t);
      clearInterval(ticker);
      unsubscribe?.();
      opts.signal.removeEventListener('abort', onAbort);
      resolve(outcome);
    };
    const check = (): void => {
      if (settled) return;
      const now = waitState(deps.approvals.get(opts.approvalId), deps.calls.get(opts.callId));
      if (now.state !== 'waiting') finish(now);
    };
    const onAbort = (): void => finish({ state: 'aborted' });
    const onTick = opts.onTick;
    const ticker = onTick === undefined ? undefined : setInterval(() => {
      try {
        onTick(Date.now() - started);
      } catch {
        // a progress notification that cannot be sent must not end the wait
      }
    }, Math.max(100, opts.tickMs ?? 10_000));
    opts.signal.addEventListener('abort', onAbort, { once: true });

    const sub = deps.approvalEvents.subscribe((change) => {
      if (change.item.id === opts.approvalId) check();
    });
    if (!sub.ok) {
      finish({ state: 'unavailable' });
      return;
    }
    unsubscribe = sub.unsubscribe;
    timers.push(setTimeout(() => finish({ state: 'timeout' }), Math.min(MAX_TIMER_MS, Math.max(0, opts.timeoutMs))));
    const item = deps.approvals.get(opts.approvalId);
    if (item !== undefined && item.status === 'pending') {
      // expiry is lazy in the store: read the item again just after its deadline
      const dueIn = Date.parse(item.expires_at) - (deps.now ?? Date.now)() + EXPIRY_SLACK_MS;
      if (dueIn < opts.timeoutMs) timers.push(setTimeout(check, Math.min(MAX_TIMER_MS, Math.max(0, dueIn))));
    }
    // the decision may have happened before the subscription existed
    check();
  });
}
