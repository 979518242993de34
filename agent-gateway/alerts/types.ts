/** Alerts sent to webhooks. Field values come from the gateway's own state, never client text. */
export type AlertType =
  | 'worker.unhealthy' | 'worker.recovered'
  | 'validation_errors.high' | 'validation_errors.recovered'
  | 'approvals.queue_high' | 'approvals.queue_recovered'
  | 'audit.write_failed' | 'audit.recovered' | 'audit.damaged'
  | 'provider_key.expiring' | 'provider_key.expired'
  | 'sandbox.agent_throttled' | 'approval.tampered'
  | 'upstream.crashed' | 'upstream.definition_changed';

export type Severity = 'info' | 'warning' | 'critical';

export interface Alert {
  readonly type: AlertType;
  readonly severity: Severity;
  readonly message: string;
  readonly details: Readonly<Record<string, string | number | boolean>>;
}
