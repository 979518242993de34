import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { call, createAgent, loginAdmin, startGateway, type TestGateway } from '../support/gateway.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';

const SECRET = 'webhook-secret-0123456789';

describe('alerts through the gateway', () => {
  let gw: TestGateway;
  let receiver: WebhookReceiver;
  let admin: string;
  before(async () => {
    receiver = await startWebhookReceiver({ secret: SECRET });
    gw = await startGateway({ env: { PALISADE_EGRESS_ALLOWLIST: new URL(receiver.url).origin } });
    admin = (await loginAdmin(gw.url)).token;
  });
  after(async () => {
    await gw.stop(true);
    await receiver.close();
  });

  test('a webhook to a private or non-allowlisted address is refused with 422', async () => {
    for (const url of ['http://10.0.0.5/hook', 'http://169.254.169.254/latest', 'https://hooks.example.net/x', 'file:///etc/passwd']) {
      const res = await call(gw.url, 'PUT', '/admin/alerts/config', { token: admin, body: { webhooks: [{ url }] } });
      assert.equal(res.status, 422, url);
      assert.equal(res.body.code, 'GW_ERR_VALIDATION');
    }
    assert.equal((await call(gw.url, 'PUT', '/admin/alerts/config', { token: admin, body: { window_seconds: 1 } })).status, 422);
    assert.equal((await call(gw.url, 'PUT', '/admin/alerts/config', { token: admin, body: { bogus: 1 } })).status, 422);
  });

  test('config accepts an allowlisted receiver; the secret is never returned', async () => {
    const res = await call(gw.url, 'PUT', '/admin/alerts/config', {
      token: admin, body: { webhooks: [{ url: receiver.url, secret: SECRET }], validation_error_threshold: 3, window_seconds: 60 },
    });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body.webhooks, [{ url: receiver.url, has_secret: true }]);
    const got = await call(gw.url, 'GET', '/admin/alerts/config', { token: admin });
    assert.equal(got.body.validation_error_threshold, 3);
    assert.ok(!got.text.includes(SECRET));
  });

  test('a validation-error spike sends one signed webhook per transition and is audited', async () => {
    const agent = await createAgent(gw.url, admin, 'sloppy', ['echo']);
    for (let i = 0; i < 4; i++) {
      assert.equal((await call(gw.url, 'POST', '/tools/call', { token: agent, body: { tool: 'echo', args: { text: i } } })).status, 422);
    }
    const monitor = gw.gateway.alerts.monitor;
    const raised = await monitor.tick();
    assert.ok(raised.some((a) => a.type === 'validation_errors.high'), JSON.stringify(raised));
    await monitor.flush();
    await receiver.waitFor(1, 10_000);
    const hook = receiver.received.find((r) => (r.body as { alert?: { type?: string } }).alert?.type === 'validation_errors.high');
    assert.ok(hook, 'the receiver got the alert');
    assert.equal(hook.signatureValid, true);
    assert.equal((hook.body as { event: string }).event, 'gateway.alert');
    const again = await monitor.tick();
    assert.ok(!again.some((a) => a.type === 'validation_errors.high'), 'no second alert while the condition holds');
    const log = await call(gw.url, 'GET', '/admin/audit?event=alert.fired', { token: admin });
    assert.ok(log.body.entries.some((e: { data?: { alert?: string } }) => e.data?.alert === 'validation_errors.high'));
  });
});

describe('provider key expiry alert', () => {
  test('a stored provider key expiring within 14 days raises provider_key.expiring (audited, never the key)', async () => {
    const gw = await startGateway();
    try {
      const admin = (await loginAdmin(gw.url)).token;
      const put = await call(gw.url, 'PUT', '/admin/providers/openai/key', { token: admin, body: { key: 'sk-test-expiring-0123456789', ttl_days: 3 } });
      assert.equal(put.status, 200, put.text);
      const raised = await gw.gateway.alerts.monitor.tick();
      assert.ok(raised.some((a) => a.type === 'provider_key.expiring'), JSON.stringify(raised));
      await gw.gateway.alerts.monitor.flush();
      const log = await call(gw.url, 'GET', '/admin/audit?event=alert.fired', { token: admin });
      assert.ok(log.body.entries.some((e: { data?: { alert?: string } }) => e.data?.alert === 'provider_key.expiring'));
      assert.ok(!log.text.includes('sk-test-expiring'));
    } finally {
      await gw.stop(true);
    }
  });
});

describe('audit shipping to a SIEM through the egress dispatcher', () => {
  test('every audit line reaches the receiver in order, also after it was down for a while', { timeout: 60_000 }, async () => {
    const { startReceiver } = await import('../support/audit-receiver.ts');
    const siem = await startReceiver();
    siem.failNext(3);
    const origin = `http://127.0.0.1:${siem.port}`;
    const gw = await startGateway({ env: { PALISADE_EGRESS_ALLOWLIST: origin, PALISADE_AUDIT_SHIP_URL: `${origin}/ingest` } });
    try {
      const admin = (await loginAdmin(gw.url)).token;
      for (let i = 0; i < 5; i++) await createAgent(gw.url, admin, `shipped-${i}`, ['echo']);
      const total = (await call(gw.url, 'GET', '/admin/audit?limit=10000', { token: admin })).body.entries.length;
      const deadline = Date.now() + 45_000;
      const seen = (): number[] => siem.batches.flatMap((b) => b.seqs);
      while (seen().length < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      const seqs = seen();
      assert.ok(seqs.length >= total, `shipped ${seqs.length} of ${total}`);
      const unique = [...new Set(seqs)];
      assert.deepEqual(unique, [...unique].sort((a, b) => a - b), 'in order');
      assert.deepEqual(unique.slice(0, total), Array.from({ length: total }, (_, i) => i + 1), 'nothing dropped');
    } finally {
      await gw.stop(true);
      await siem.close();
    }
  });
});
