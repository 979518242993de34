import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { startWebhookReceiver } from '../support/webhook-receiver.ts';
import { createWebhookSender } from '../../agent-gateway/alerts/sender.ts';
import { createUndiciPost } from '../../agent-gateway/alerts/post.ts';
import { startAlertMonitor } from '../../agent-gateway/alerts/monitor.ts';
import { DEFAULT_ALERT_CONFIG, type AlertConfig, type CheckUrl } from '../../agent-gateway/alerts/config.ts';
import type { Alert } from '../../agent-gateway/alerts/types.ts';

const secret = 'test-webhook-secret-0123456789abcdef';
/** These tests deliver to a loopback receiver on purpose; production passes the egress check. */
const allowLoopback: CheckUrl = (u) => (new URL(u).hostname === '127.0.0.1' ? { ok: true } : { ok: false, reason: 'not loopback' });
const refusePrivate: CheckUrl = () => ({ ok: false, reason: 'private address' });
const alert: Alert = { type: 'audit.write_failed', severity: 'critical', message: 'audit log writes are failing', details: { failures: 2 } };

test('a signed alert arrives at a real HTTP receiver and its signature verifies there', async (t) => {
  const rx = await startWebhookReceiver({ secret });
  t.after(() => rx.close());
  const sender = createWebhookSender({ post: createUndiciPost(), checkUrl: allowLoopback });
  const [d] = await sender.send(alert, [{ url: rx.url, secret }]);
  assert.deepEqual(d, { url: rx.url, ok: true, attempts: 1, status: 200 });
  assert.equal(rx.received.length, 1);
  const got = rx.received[0]!;
  assert.equal(got.signatureValid, true);
  assert.ok(Math.abs((got.signatureTime ?? 0) - Date.now() / 1000) < 300);
  assert.deepEqual(got.body, {
    event: 'gateway.alert',
    alert: { failures: 2, type: 'audit.write_failed', severity: 'critical', message: 'audit log writes are failing' },
    ts: (got.body as { ts: string }).ts,
  });
  assert.equal(got.headers['x-palisade-event'], 'gateway.alert');
});

test('a receiver holding a different secret sees an invalid signature', async (t) => {
  const rx = await startWebhookReceiver({ secret: 'another-secret-entirely-0123456789' });
  t.after(() => rx.close());
  await createWebhookSender({ post: createUndiciPost(), checkUrl: allowLoopback }).send(alert, [{ url: rx.url, secret }]);
  assert.equal(rx.received[0]?.signatureValid, false);
});

test('a receiver answering 503 twice gets the alert on the third attempt, each attempt validly signed', async (t) => {
  const rx = await startWebhookReceiver({ secret, statuses: [503, 503] });
  t.after(() => rx.close());
  const sender = createWebhookSender({ post: createUndiciPost(), checkUrl: allowLoopback, baseDelayMs: 20 });
  const [d] = await sender.send(alert, [{ url: rx.url, secret }]);
  assert.deepEqual(d, { url: rx.url, ok: true, attempts: 3, status: 200 });
  assert.deepEqual(rx.received.map((r) => [r.answered, r.signatureValid]), [[503, true], [503, true], [200, true]]);
  assert.equal(new Set(rx.received.map((r) => r.headers['x-palisade-delivery'])).size, 1);
});

test('a receiver that is down is retried a bounded number of times and reported as a network failure', async () => {
  const rx = await startWebhookReceiver();
  const url = rx.url;
  await rx.close();
  const sender = createWebhookSender({ post: createUndiciPost({ timeoutMs: 5000 }), checkUrl: allowLoopback, baseDelayMs: 10, maxAttempts: 3 });
  const [d] = await sender.send(alert, [{ url }]);
  assert.deepEqual(d, { url, ok: false, attempts: 3, reason: 'network' });
});

test('a webhook to a private address is refused at send time: nothing reaches the receiver', async (t) => {
  const rx = await startWebhookReceiver({ secret });
  t.after(() => rx.close());
  const [d] = await createWebhookSender({ post: createUndiciPost(), checkUrl: refusePrivate }).send(alert, [{ url: rx.url, secret }]);
  assert.deepEqual(d, { url: rx.url, ok: false, attempts: 0, reason: 'egress_refused' });
  await delay(100);
  assert.equal(rx.received.length, 0);
});

test('the monitor sends one webhook per worker-health transition across many ticks (injected clock)', async (t) => {
  const rx = await startWebhookReceiver({ secret });
  t.after(() => rx.close());
  let healthy = true;
  let now = 1_000_000;
  const config: AlertConfig = { ...DEFAULT_ALERT_CONFIG, webhooks: [{ url: rx.url, secret }], validation_error_threshold: 3 };
  const seen: string[] = [];
  const monitor = startAlertMonitor({
    probes: { workerHealth: () => [{ backend: 'isolate', healthy }] },
    sender: createWebhookSender({ post: createUndiciPost(), checkUrl: allowLoopback }),
    config: () => config,
    intervalSeconds: 3600,
    clock: () => now,
    onAlert: (a, d) => seen.push(`${a.type}:${d.map((x) => x.ok).join()}`),
  });
  t.after(() => monitor.stop());
  for (const h of [true, false, false, false, false, true, true]) {
    healthy = h;
    now += 30_000;
    await monitor.tick();
  }
  await monitor.flush();
  assert.deepEqual(rx.received.map((r) => (r.body as { alert: { type: string } }).alert.type), ['worker.unhealthy', 'worker.recovered']);
  assert.ok(rx.received.every((r) => r.signatureValid === true));
  assert.deepEqual(seen, ['worker.unhealthy:true', 'worker.recovered:true']);
});

test('the monitor raises one validation-rate alert when errors cross the threshold in the window, then one recovery', async (t) => {
  const rx = await startWebhookReceiver({ secret });
  t.after(() => rx.close());
  let now = 5_000_000;
  const config: AlertConfig = { ...DEFAULT_ALERT_CONFIG, webhooks: [{ url: rx.url, secret }], validation_error_threshold: 3, window_seconds: 60 };
  const monitor = startAlertMonitor({
    probes: {}, sender: createWebhookSender({ post: createUndiciPost(), checkUrl: allowLoopback }),
    config: () => config, intervalSeconds: 3600, clock: () => now,
  });
  t.after(() => monitor.stop());
  const types: string[][] = [];
  for (let i = 0; i < 2; i++) monitor.recordValidationError();
  types.push((await monitor.tick()).map((a) => a.type));
  monitor.recordValidationError();
  types.push((await monitor.tick()).map((a) => a.type));
  monitor.recordValidationError();
  types.push((await monitor.tick()).map((a) => a.type));
  now += 61_000;
  types.push((await monitor.tick()).map((a) => a.type));
  types.push((await monitor.tick()).map((a) => a.type));
  assert.deepEqual(types, [[], ['validation_errors.high'], [], ['validation_errors.recovered'], []]);
  await monitor.flush();
  assert.equal(rx.received.length, 2);
});

test('the node-cron schedule runs checks by itself and stops on stop()', async (t) => {
  let probes = 0;
  const monitor = startAlertMonitor({
    probes: { approvalQueueDepth: () => { probes++; return 0; } },
    sender: createWebhookSender({ post: async () => ({ status: 200 }), checkUrl: allowLoopback }),
    config: () => DEFAULT_ALERT_CONFIG,
    intervalSeconds: 1,
  });
  t.after(() => monitor.stop());
  const deadline = Date.now() + 20_000;
  while (probes < 2 && Date.now() < deadline) await delay(100);
  assert.ok(probes >= 2, `cron ran ${probes} checks`);
  await monitor.stop();
  const after = probes;
  await delay(2500);
  assert.equal(probes, after, 'no checks after stop()');
});
