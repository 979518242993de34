/**
 * Alert monitor: a node-cron task fires every second and runs a check when the configured
 * interval has passed. A check reads the probes, runs the pure detectors (hysteresis: one
 * alert per transition) and hands each alert to the webhook sender in the background.
 */
import cron from 'node-cron';
import type { AlertConfig } from './config.ts';
import { detect, INITIAL_STATE, type DetectorState, type Observation } from './detectors.ts';
import { RollingCounter } from './rolling.ts';
import type { Delivery, WebhookSender } from './sender.ts';
import type { Alert } from './types.ts';

type MaybePromise<T> = T | Promise<T>;

export interface AlertProbes {
  readonly workerHealth?: () => MaybePromise<readonly { backend: string; healthy: boolean }[]>;
  readonly approvalQueueDepth?: () => MaybePromise<number>;
  /** expires_at in ms since epoch */
  readonly providerKeys?: () => MaybePromise<readonly { provider: string; expires_at: number }[]>;
}

export interface MonitorOptions {
  readonly probes: AlertProbes;
  readonly sender: WebhookSender;
  readonly config: () => AlertConfig;
  /** overrides `config().worker_check_interval_seconds` */
  readonly intervalSeconds?: number;
  readonly clock?: () => number;
  readonly keyWarnDays?: number;
  readonly onAlert?: (alert: Alert, deliveries: readonly Delivery[]) => void;
  readonly onError?: (where: string, error: unknown) => void;
}

export interface AlertMonitor {
  /** runs one check now; resolves with the alerts it raised (sending continues in the background) */
  tick(): Promise<Alert[]>;
  recordValidationError(): void;
  recordAuditFailure(): void;
  /** sends an alert found outside the periodic detectors now (e.g. audit.damaged at start or verify) */
  raise(alert: Alert): void;
  /** waits for in-flight webhook deliveries */
  flush(): Promise<void>;
  stop(): Promise<void>;
}

export function startAlertMonitor(o: MonitorOptions): AlertMonitor {
  const now = o.clock ?? Date.now;
  const onError = o.onError ?? (() => {});
  const validation = new RollingCounter(now);
  const inflight = new Set<Promise<void>>();
  let state: DetectorState = INITIAL_STATE;
  let auditFailures = 0;
  let lastRun = Number.NEGATIVE_INFINITY;
  let running = false;

  async function probe<T>(name: string, fn: (() => MaybePromise<T>) | undefined): Promise<T | undefined> {
    if (fn === undefined) return undefined;
    try {
      return await fn();
    } catch (error) {
      onError(`probe:${name}`, error);
      return undefined;
    }
  }

  function send(alert: Alert): void {
    const p = o.sender.send(alert, o.config().webhooks)
      .then((d) => o.onAlert?.(alert, d))
      .catch((error: unknown) => onError('send', error))
      .finally(() => inflight.delete(p));
    inflight.add(p);
  }

  async function tick(): Promise<Alert[]> {
    const cfg = o.config();
    const workers = await probe('workerHealth', o.probes.workerHealth);
    const depth = await probe('approvalQueueDepth', o.probes.approvalQueueDepth);
    const keys = await probe('providerKeys', o.probes.providerKeys);
    const failures = auditFailures;
    auditFailures = 0;
    const obs: Observation = {
      ...(workers === undefined ? {} : { workers }),
      ...(depth === undefined ? {} : { approvalQueueDepth: depth }),
      ...(keys === undefined ? {} : { providerKeys: keys }),
      validationErrorsInWindow: validation.count(cfg.window_seconds),
      auditWriteFailures: failures,
    };
    const result = detect(state, obs, {
      validation_error_threshold: cfg.validation_error_threshold,
      window_seconds: cfg.window_seconds,
      approval_queue_threshold: cfg.approval_queue_threshold,
      keyWarnMs: (o.keyWarnDays ?? 7) * 86_400_000,
    }, now());
    state = result.state;
    for (const alert of result.alerts) {
      const p = o.sender.send(alert, cfg.webhooks)
        .then((d) => o.onAlert?.(alert, d))
        .catch((error: unknown) => onError('send', error))
        .finally(() => inflight.delete(p));
      inflight.add(p);
    }
    return result.alerts;
  }

  const task = cron.schedule('* * * * * *', async () => {
    if (running) return;
    running = true;
    try {
      const interval = (o.intervalSeconds ?? o.config().worker_check_interval_seconds) * 1000;
      if (now() - lastRun < interval) return;
      lastRun = now();
      await tick();
    } catch (error) {
      onError('tick', error);
    } finally {
      running = false;
    }
  }, { name: 'palisade-alert-monitor', noOverlap: true });

  const flush = async () => {
    while (inflight.size > 0) await Promise.allSettled([...inflight]);
  };

  return {
    tick,
    recordValidationError: () => validation.add(1),
    recordAuditFailure: () => void auditFailures++,
    raise: (alert) => {
      try {
        send(alert);
      } catch (error) {
        onError('raise', error);
      }
    },
    flush,
    async stop() {
      await task.stop();
      await task.destroy();
    },
  };
}
