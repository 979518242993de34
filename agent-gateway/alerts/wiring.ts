/**
 * Starts the alert monitor with the gateway's probes and the one egress dispatcher: webhook
 * URLs must be allowlisted origins (PALISADE_EGRESS_ALLOWLIST) at config time and again at
 * send time, and the dispatcher re-checks every resolved address at connect. Every alert is
 * also written to the audit log.
 */
import type { DatabaseSync } from 'node:sqlite';
import type { Egress } from '../../providers/egress/dispatcher.ts';
import { checkUrl as checkEgressUrl } from '../../providers/egress/policy.ts';
import type { EventSink } from '../events.ts';
import type { Logger } from '../logger.ts';
import type { CheckUrl } from './config.ts';
import { startAlertMonitor, type AlertMonitor, type AlertProbes } from './monitor.ts';
import { createUndiciPost } from './post.ts';
import { createWebhookSender } from './sender.ts';
import { AlertConfigStore } from './store.ts';

export interface AlertServices {
  readonly store: AlertConfigStore;
  readonly monitor: AlertMonitor;
  readonly checkUrl: CheckUrl;
}

export function egressUrlCheck(egress: Egress): CheckUrl {
  return (url) => {
    const r = checkEgressUrl(url, egress.allowlist);
    return r.ok ? { ok: true } : { ok: false, reason: `${r.code}: ${r.reason}` };
  };
}

export function startAlerts(o: {
  db: DatabaseSync; now: () => number; egress: Egress; events: EventSink; logger: Logger; probes: AlertProbes; keyWarnDays: number;
}): AlertServices {
  const store = new AlertConfigStore(o.db, { now: o.now });
  const checkUrl = egressUrlCheck(o.egress);
  const sender = createWebhookSender({ post: createUndiciPost({ dispatcher: o.egress.dispatcher }), checkUrl });
  const monitor = startAlertMonitor({
    probes: o.probes,
    sender,
    config: () => store.get(),
    clock: o.now,
    keyWarnDays: o.keyWarnDays,
    // returning the promise lets the monitor's flush() wait for the audit line too
    onAlert: (alert, deliveries) =>
      o.events.record({
        type: 'alert.fired', actor: 'system', outcome: 'ok',
        data: {
          alert: alert.type, severity: alert.severity, message: alert.message,
          delivered: deliveries.filter((d) => d.ok).length, failed: deliveries.filter((d) => !d.ok).length,
        },
      }).catch((error: unknown) => o.logger.error('audit write failed for an alert', { error: String(error) })),
    onError: (where, error) => o.logger.warn('alert monitor error', { where, error: error instanceof Error ? error.message : String(error) }),
  });
  return { store, monitor, checkUrl };
}
