/**
 * Security events: every decision the gateway makes is described by one of these and handed
 * to the event sink. The audit log (audit/) is the durable sink; `record` resolves only once
 * the event is durable, so a handler that awaits it may acknowledge the request.
 */
import type { JsonObject } from '../sandbox/json.ts';
import { GatewayError, gwError } from './errors.ts';

export type EventOutcome = 'ok' | 'denied' | 'error' | 'pending';

/**
 * Every event type the gateway (and the CLI, through the outbox) writes. The runtime list lets
 * the outbox drain refuse a row whose type is not one of them.
 */
export const EVENT_TYPES = [
  'tool.call', 'tool.check', 'agent.paused', 'approval.approve', 'approval.reject', 'approval.reveal', 'approval.queue_full',
  'policy.update', 'killswitch.activate', 'killswitch.deactivate', 'config.approvals', 'config.alerts',
  'user.create', 'user.delete', 'user.password', 'agent.create', 'agent.delete', 'agent.delegate',
  'provider.key.put', 'provider.key.rotate', 'provider.key.delete',
  'auth.login', 'auth.logout', 'auth.refresh', 'auth.refresh_reuse', 'auth.revoke', 'auth.setup',
  'privacy.export', 'privacy.erase', 'redaction.rule.put', 'redaction.rule.delete', 'chat.complete',
  'alert.fired', 'audit.key_rotated', 'audit.damaged', 'audit.incident_acknowledged', 'audit.outbox_unreadable',
  'sandbox.agent_throttled',
  'mcp_server.register', 'mcp_server.delete', 'mcp_server.pin', 'mcp_server.definition_changed', 'mcp_server.crashed',
  'mcp_server.update', 'mcp_server.egress',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

const EVENT_TYPE_SET: ReadonlySet<string> = new Set(EVENT_TYPES);

export function isEventType(value: unknown): value is EventType {
  return typeof value === 'string' && EVENT_TYPE_SET.has(value);
}

/**
 * The stored shape of any event line (audit/payload.ts writes it, the readers and verify read it
 * back): the on-disk format does not depend on the list above, so lines written by older
 * versions still read. What the gateway appends is a `SecurityEvent`, the union below.
 */
export interface StoredEvent {
  /** dotted name, e.g. `auth.login`, `tool.call`, `approval.approve`, `policy.update` */
  readonly type: string;
  /** who caused it: `admin:<user>`, `user:<user>`, `agent:<id>`, `system`, `anonymous`, `cli` */
  readonly actor: string;
  readonly outcome: EventOutcome;
  /** the data subject the event concerns (for GDPR export/erase), when there is one */
  readonly subject?: string;
  readonly requestId?: string;
  /** event-specific fields; never secrets, tokens, passwords or unredacted args */
  readonly data?: JsonObject;
}

interface EventFields {
  readonly actor: string;
  readonly outcome: EventOutcome;
  readonly subject?: string;
  readonly requestId?: string;
}

type Data<R> = JsonObject & R;

/** A tool call decision or outcome: always names the agent, the tool, the adapter and the deciding rule. */
export type ToolCallEvent = EventFields & {
  readonly type: 'tool.call';
  readonly data: Data<{ readonly tool: string; readonly agent_id: string; readonly rule_id: string; readonly via: 'rest' | 'mcp' }>;
};

/** The denial that opened an agent's circuit breaker. */
export type AgentPausedEvent = EventFields & {
  readonly type: 'agent.paused';
  readonly data: Data<{ readonly agent_id: string; readonly step: string; readonly rule_id: string; readonly paused_until: string | null }>;
};

/** A decision on, or an admin's look at, one queued call. */
export type ApprovalEvent = EventFields & {
  readonly type: 'approval.approve' | 'approval.reject' | 'approval.reveal';
  readonly data: Data<{ readonly approval_id: string }>;
};

export type ApprovalQueueFullEvent = EventFields & {
  readonly type: 'approval.queue_full';
  readonly data: Data<{ readonly limit: 'global' | 'agent'; readonly max_pending: number }>;
};

type TypedEvent = ToolCallEvent | AgentPausedEvent | ApprovalEvent | ApprovalQueueFullEvent;

/** Events whose data is not (yet) typed per type: any JSON object. */
export type OtherEvent = EventFields & { readonly type: Exclude<EventType, TypedEvent['type']>; readonly data?: JsonObject };

/**
 * A security event: one discriminated union keyed by `type`, every member one of EVENT_TYPES.
 * The sink, the audit log's append and the outbox take only this; a type string outside the
 * list does not compile.
 */
export type SecurityEvent = TypedEvent | OtherEvent;

/** The former name of the union, kept for emitters that annotate with it. */
export type GatewayEvent = SecurityEvent;

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
 * The same event with outcome `error` and `not_applied`/`error_code` added to its data. Its
 * `type` and every field of its data are kept, so it is still the same member of the union (TS
 * cannot correlate a spread union's `type` with its `data`, hence the one assertion here).
 */
function withFailure(event: SecurityEvent, code: string): SecurityEvent {
  return { ...event, outcome: 'error', data: { ...event.data, not_applied: true, error_code: code } } as SecurityEvent;
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
      await sink.record(withFailure(event, code)).catch(() => undefined);
      throw error;
    }
  });
}
