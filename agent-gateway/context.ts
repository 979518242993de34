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

/**
 * One sandbox backend in /health/ready. `healthy` (v1) is true while the backend takes calls:
 * state `healthy` (every worker ready) or `degraded` (some ready or restarting; calls may wait
 * in the bounded queue). `down`: calls that need it get 503. `ready`/`total`: worker counts.
 */
export interface BackendReadiness {
  readonly healthy: boolean;
  readonly state: 'healthy' | 'degraded' | 'down' | 'disabled';
  readonly ready?: number;
  readonly total?: number;
  readonly detail?: string;
}

export interface Readiness {
  readonly status: 'ok' | 'degraded';
  readonly backends: {
    readonly isolate: BackendReadiness | 'disabled';
    readonly docker: BackendReadiness | 'disabled';
  };
  /** where each risk class's tools run now and why (e.g. docker unavailable → isolate) */
  readonly routing?: { readonly by_risk: Readonly<Record<string, string>>; readonly docker: string; readonly summary: string };
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
