/**
 * Security events: every decision the gateway makes is described by one of these and handed
 * to the event sink. The audit log (audit/) is the durable sink; `record` resolves only once
 * the event is durable, so a handler that awaits it may acknowledge the request.
 */
import type { JsonObject } from '../sandbox/json.ts';

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
