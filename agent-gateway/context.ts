/**
 * Everything a route needs, built once by gateway.ts (or a test) and passed to createApp.
 * Stores wrap the one sqlite handle; nothing here does I/O at import time.
 */
import type { DatabaseSync } from 'node:sqlite';
import type { Config } from './config.ts';
import type { EventSink, SecurityEvent } from './events.ts';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics/metrics.ts';
import type { AgentStore } from './auth/agents.ts';
import type { SessionStore } from './auth/sessions.ts';
import type { SetupTokenStore } from './auth/setup.ts';
import type { UserStore } from './auth/users.ts';

export interface Readiness {
  readonly status: 'ok' | 'degraded';
  readonly backends: {
    readonly isolate: { readonly healthy: boolean; readonly detail?: string };
    readonly docker: { readonly healthy: boolean; readonly detail?: string } | 'disabled';
  };
}

export interface CoreContext {
  readonly config: Config;
  readonly db: DatabaseSync;
  readonly logger: Logger;
  readonly events: EventSink;
  readonly now: () => number;
  readonly users: UserStore;
  readonly sessions: SessionStore;
  readonly agents: AgentStore;
  readonly setup: SetupTokenStore;
  readonly readiness: () => Readiness;
  readonly metrics: Metrics;
}

/** Records an event; the promise resolves once it is durable. */
export function record(ctx: { events: EventSink }, event: SecurityEvent): Promise<void> {
  return ctx.events.record(event);
}
