/**
 * Security events: every decision the gateway makes is described by one of these and handed
 * to the event sink. The audit log (audit/) is the durable sink; `record` resolves only once
 * the event is durable, so a handler that awaits it may acknowledge the request.
 */
import type { JsonObject } from '../sandbox/json.ts';
import { GatewayError, gwError } from './errors.ts';

export type EventOutcome = 'ok' | 'denied' | 'error' | 'pending';

export interface SecurityEvent {
  /** dotted name, e.g. `auth.login`, `tool.call`, `approval.approve`, `policy.update` */
  readonly type: string;
  /** who caused it: `admin:<user>`, `user:<user>`, `agent:<id>`, `system`, `anonymous` */
  readonly actor: string;
  readonly outcome: EventOutcome;
  /** the data subject the event concerns (for GDPR export/erase), when there is one */
  readonly subject?: string;
  readonly requestId?: string;
  /** event-specific fields; never secrets, tokens, passwords or unredacted args */
  readonly data?: JsonObject;
}

export interface EventSink {
  record(event: SecurityEvent): Promise<void>;
}

const chains = new WeakMap<EventSink, Promise<unknown>>();

/** Runs `fn` after every earlier serialized change through the same sink has finished. */
function serialized<T>(sink: EventSink, fn: () => Promise<T>): Promise<T> {
  const before = chains.get(sink) ?? Promise.resolve();
  const run = before.then(fn, fn);
  chains.set(sink, run.catch(() => undefined));
  return run;
}

/** Thrown when the durable audit write fails: nothing was applied or acknowledged (503). */
export function auditUnavailable(): GatewayError {
  return gwError('GW_ERR_AUDIT_UNAVAILABLE', 'The audit log could not record this change; nothing was applied.');
}

/** Records an event durably or throws GW_ERR_AUDIT_UNAVAILABLE: the caller must not answer 2xx without it. */
export async function recordOrRefuse(sink: EventSink, event: SecurityEvent): Promise<void> {
  try {
    await sink.record(event);
  } catch {
    throw auditUnavailable();
  }
}

export interface AuditedChange<P, R> {
  /** checks (throw a GatewayError to refuse: nothing is recorded or applied); returns what will change */
  readonly plan: () => P;
  /** the event that describes the planned change; recorded durably before anything is applied */
  readonly event: (plan: P) => SecurityEvent;
  /** applies the change, synchronously (no await between the durable record and the change) */
  readonly apply: (plan: P) => R;
}

/**
 * Audit-or-refuse for every state-changing admin route: plan → durable audit line → apply.
 * If the line cannot be written the change is NOT applied and GW_ERR_AUDIT_UNAVAILABLE (503)
 * is thrown. Changes through one sink run one at a time, so what `plan` saw still holds when
 * `apply` runs. If `apply` itself fails after the line was written (a race with another
 * writer of the same sqlite file, e.g. the CLI), a second line with outcome `error` records
 * that the change was not applied, and the error is rethrown.
 */
export function auditThen<P, R>(sink: EventSink, change: AuditedChange<P, R>): Promise<R> {
  return serialized(sink, async () => {
    const plan = change.plan();
    const event = change.event(plan);
    await recordOrRefuse(sink, event);
    try {
      return change.apply(plan);
    } catch (error) {
      const code = error instanceof GatewayError ? error.code : 'GW_ERR_INTERNAL';
      await sink.record({ ...event, outcome: 'error', data: { ...event.data, not_applied: true, error_code: code } } as SecurityEvent)
        .catch(() => undefined);
      throw error;
    }
  });
}
