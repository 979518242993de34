import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../../../agent-gateway/store/db.ts';
import { ALERT_MIGRATIONS } from '../../../agent-gateway/alerts/schema.ts';
import { AlertConfigStore } from '../../../agent-gateway/alerts/store.ts';
import { alertConfigView, applyAlertConfigPatch, DEFAULT_ALERT_CONFIG, type CheckUrl } from '../../../agent-gateway/alerts/config.ts';

/** Stand-in for the egress module's check: refuses loopback/private literal hosts. */
const egress: CheckUrl = (url) => {
  const host = new URL(url).hostname;
  return /^(127\.|10\.|192\.168\.|169\.254\.|localhost$|\[::1\]$)/.test(host) ? { ok: false, reason: 'private address' } : { ok: true };
};
const secret = 's'.repeat(32);

test('a partial update merges over the current config and keeps the other values', async () => {
  const r = await applyAlertConfigPatch(DEFAULT_ALERT_CONFIG, { window_seconds: 120 }, egress);
  assert.deepEqual(r, { ok: true, config: { ...DEFAULT_ALERT_CONFIG, window_seconds: 120 } });
  const r2 = await applyAlertConfigPatch(r.ok ? r.config : DEFAULT_ALERT_CONFIG, { webhooks: [{ url: 'https://hooks.example.com/a', secret }], approval_queue_threshold: 5 }, egress);
  assert.ok(r2.ok);
  assert.equal(r2.config.window_seconds, 120);
  assert.equal(r2.config.approval_queue_threshold, 5);
  assert.deepEqual(r2.config.webhooks, [{ url: 'https://hooks.example.com/a', secret }]);
});

test('a webhook to a private address is refused at config time', async () => {
  for (const url of ['http://127.0.0.1:9/x', 'http://10.0.0.5/hook', 'https://192.168.1.1/', 'http://169.254.169.254/latest', 'http://localhost/']) {
    const r = await applyAlertConfigPatch(DEFAULT_ALERT_CONFIG, { webhooks: [{ url: 'https://ok.example.com/' }, { url }] }, egress);
    assert.deepEqual(r, { ok: false, errors: [{ instancePath: '/webhooks/1/url', message: 'refused by egress policy: private address' }] }, url);
  }
});

test('a throwing egress check refuses the URL', async () => {
  const r = await applyAlertConfigPatch(DEFAULT_ALERT_CONFIG, { webhooks: [{ url: 'https://x.example.com/' }] }, () => { throw new Error('dns'); });
  assert.equal(r.ok, false);
});

test('webhook URLs must be http(s) without credentials', async () => {
  const cases: [string, string][] = [
    ['ftp://example.com/', 'must use http or https'], ['file:///etc/passwd', 'must use http or https'],
    ['javascript:alert(1)', 'must use http or https'], ['not a url', 'must be an absolute URL'],
    ['https://user:pw@example.com/', 'must not contain credentials'],
  ];
  for (const [url, message] of cases) {
    assert.deepEqual(await applyAlertConfigPatch(DEFAULT_ALERT_CONFIG, { webhooks: [{ url }] }, egress), { ok: false, errors: [{ instancePath: '/webhooks/0/url', message }] }, url);
  }
});

test('invalid shapes and out-of-range numbers are rejected for a 422', async () => {
  const bad: [unknown, string][] = [
    [{ window_seconds: 5 }, '/window_seconds'], [{ window_seconds: 3601 }, '/window_seconds'],
    [{ validation_error_threshold: 0 }, '/validation_error_threshold'], [{ approval_queue_threshold: 1.5 }, '/approval_queue_threshold'],
    [{ worker_check_interval_seconds: '30' }, '/worker_check_interval_seconds'], [{ extra: 1 }, ''],
    [{ webhooks: [{ url: 'https://a.example.com', secret: 'short' }] }, '/webhooks/0/secret'],
    [{ webhooks: [{ url: 'https://a.example.com', token: 'x' }] }, '/webhooks/0'],
    [{ webhooks: Array.from({ length: 11 }, () => ({ url: 'https://a.example.com' })) }, '/webhooks'],
    [null, ''], [[], ''],
  ];
  for (const [patch, instancePath] of bad) {
    const r = await applyAlertConfigPatch(DEFAULT_ALERT_CONFIG, patch, egress);
    assert.equal(r.ok, false, JSON.stringify(patch));
    assert.equal(r.ok ? '' : r.errors[0]?.instancePath, instancePath, JSON.stringify(patch));
  }
});

test('the admin view never contains a webhook secret', async () => {
  const r = await applyAlertConfigPatch(DEFAULT_ALERT_CONFIG, { webhooks: [{ url: 'https://a.example.com/', secret }, { url: 'https://b.example.com/' }] }, egress);
  assert.ok(r.ok);
  const view = alertConfigView(r.config);
  assert.equal(JSON.stringify(view).includes(secret), false);
  assert.deepEqual(view.webhooks, [{ url: 'https://a.example.com/', has_secret: true }, { url: 'https://b.example.com/', has_secret: false }]);
});

test('the alert config store returns defaults, then persists an update across a restart', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'palisade-alerts-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const db = openDatabase(dir, ALERT_MIGRATIONS);
  assert.deepEqual(new AlertConfigStore(db).get(), DEFAULT_ALERT_CONFIG);
  const r = await applyAlertConfigPatch(DEFAULT_ALERT_CONFIG, { webhooks: [{ url: 'https://a.example.com/', secret }], window_seconds: 30 }, egress);
  assert.ok(r.ok);
  new AlertConfigStore(db).put(r.config, 'admin:alice');
  db.close();
  const db2 = openDatabase(dir, ALERT_MIGRATIONS);
  t.after(() => db2.close());
  assert.deepEqual(new AlertConfigStore(db2).get(), r.config);
});
