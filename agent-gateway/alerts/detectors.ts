/**
 * Pure alert detectors with hysteresis: state + observation + now → new state + alerts.
 * An alert is produced on a transition only (one per change, never one per tick). Rates and
 * depths fire at `>= threshold` and recover at `<= floor(threshold / 2)`.
 */
import type { Alert } from './types.ts';

export type KeyStatus = 'ok' | 'expiring' | 'expired';

export interface DetectorState {
  readonly workers: Readonly<Record<string, boolean>>;
  readonly validationFiring: boolean;
  readonly queueFiring: boolean;
  readonly auditFiring: boolean;
  readonly keys: Readonly<Record<string, KeyStatus>>;
}

export interface Observation {
  readonly workers?: readonly { readonly backend: string; readonly healthy: boolean }[];
  readonly validationErrorsInWindow?: number;
  readonly approvalQueueDepth?: number;
  /** audit write failures since the previous observation */
  readonly auditWriteFailures?: number;
  readonly providerKeys?: readonly { readonly provider: string; readonly expires_at: number }[];
}

export interface Thresholds {
  readonly validation_error_threshold: number;
  readonly window_seconds: number;
  readonly approval_queue_threshold: number;
  /** warn this long before a provider key expires */
  readonly keyWarnMs: number;
}

export const INITIAL_STATE: DetectorState = Object.freeze({
  workers: Object.freeze({}), validationFiring: false, queueFiring: false, auditFiring: false, keys: Object.freeze({}),
});

/** Two-level hysteresis: returns the new firing flag. */
export function band(firing: boolean, value: number, threshold: number): boolean {
  return firing ? value > Math.floor(threshold / 2) : value >= threshold;
}

export function detect(state: DetectorState, obs: Observation, t: Thresholds, nowMs: number): { state: DetectorState; alerts: Alert[] } {
  const alerts: Alert[] = [];
  const workers: Record<string, boolean> = { ...state.workers };
  for (const w of obs.workers ?? []) {
    const before = workers[w.backend];
    workers[w.backend] = w.healthy;
    if (!w.healthy && before !== false) {
      alerts.push({ type: 'worker.unhealthy', severity: 'critical', message: `sandbox backend ${w.backend} is unhealthy`, details: { backend: w.backend } });
    } else if (w.healthy && before === false) {
      alerts.push({ type: 'worker.recovered', severity: 'info', message: `sandbox backend ${w.backend} is healthy again`, details: { backend: w.backend } });
    }
  }

  let validationFiring = state.validationFiring;
  if (obs.validationErrorsInWindow !== undefined) {
    const n = obs.validationErrorsInWindow;
    validationFiring = band(state.validationFiring, n, t.validation_error_threshold);
    const details = { count: n, threshold: t.validation_error_threshold, window_seconds: t.window_seconds };
    if (validationFiring && !state.validationFiring) {
      alerts.push({ type: 'validation_errors.high', severity: 'warning', message: `${n} validation errors in the last ${t.window_seconds} s`, details });
    } else if (!validationFiring && state.validationFiring) {
      alerts.push({ type: 'validation_errors.recovered', severity: 'info', message: 'validation error rate is back to normal', details });
    }
  }

  let queueFiring = state.queueFiring;
  if (obs.approvalQueueDepth !== undefined) {
    const d = obs.approvalQueueDepth;
    queueFiring = band(state.queueFiring, d, t.approval_queue_threshold);
    const details = { depth: d, threshold: t.approval_queue_threshold };
    if (queueFiring && !state.queueFiring) {
      alerts.push({ type: 'approvals.queue_high', severity: 'warning', message: `${d} approvals are waiting`, details });
    } else if (!queueFiring && state.queueFiring) {
      alerts.push({ type: 'approvals.queue_recovered', severity: 'info', message: 'approval queue is back to normal', details });
    }
  }

  let auditFiring = state.auditFiring;
  if (obs.auditWriteFailures !== undefined) {
    auditFiring = obs.auditWriteFailures > 0;
    if (auditFiring && !state.auditFiring) {
      alerts.push({ type: 'audit.write_failed', severity: 'critical', message: 'audit log writes are failing', details: { failures: obs.auditWriteFailures } });
    } else if (!auditFiring && state.auditFiring) {
      alerts.push({ type: 'audit.recovered', severity: 'info', message: 'audit log writes succeed again', details: {} });
    }
  }

  let keys = state.keys;
  if (obs.providerKeys !== undefined) {
    const next: Record<string, KeyStatus> = {};
    for (const k of obs.providerKeys) {
      const status: KeyStatus = k.expires_at <= nowMs ? 'expired' : k.expires_at - nowMs <= t.keyWarnMs ? 'expiring' : 'ok';
      next[k.provider] = status;
      if (status !== 'ok' && state.keys[k.provider] !== status) {
        const details = { provider: k.provider, expires_at: new Date(k.expires_at).toISOString() };
        alerts.push(status === 'expired'
          ? { type: 'provider_key.expired', severity: 'critical', message: `provider key for ${k.provider} has expired`, details }
          : { type: 'provider_key.expiring', severity: 'warning', message: `provider key for ${k.provider} expires soon`, details });
      }
    }
    keys = next;
  }

  return { state: { workers, validationFiring, queueFiring, auditFiring, keys }, alerts };
}
