/**
 * Audit-or-refuse on the redaction-rule and privacy routes (issue 17 rule, issue 19): with an
 * audit sink that cannot write, PUT/DELETE /admin/redaction-rules/:origin, GET /privacy/export
 * and DELETE /privacy/erase answer 503 GW_ERR_AUDIT_UNAVAILABLE and change (or reveal) nothing;
 * once the sink works again the same requests succeed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { EventSink } from '../../agent-gateway/events.ts';
import { call, loginAdmin, startGateway, type TestGateway } from '../support/gateway.ts';
import { startFakeProvider, type FakeProvider } from '../support/fake-provider.ts';

describe('audit-or-refuse: redaction rules and privacy', () => {
  let gw: TestGateway;
  let fake: FakeProvider;
  let admin: string;
  let carol: string;
  let failing = false;
  const wrap = (real: EventSink): EventSink => ({
    record: (event) => (failing ? Promise.reject(new Error('disk full (injected)')) : real.record(event)),
  });
  const rule = (o: string): string => `/admin/redaction-rules/${encodeURIComponent(o)}`;

  before(async () => {
    fake = await startFakeProvider();
    gw = await startGateway({ wrapEvents: wrap, env: { PALISADE_PROVIDER_ALLOWLIST: fake.origin, PALISADE_OLLAMA_BASE_URL: fake.origin } });
    admin = (await loginAdmin(gw.url)).token;
    assert.equal((await call(gw.url, 'POST', '/admin/users', { token: admin, body: { username: 'carol', password: 'carol password long', role: 'user' } })).status, 201);
    carol = (await loginAdmin(gw.url, 'carol password long', 'carol')).token;
    const chat = await call(gw.url, 'POST', '/chat/complete', {
      token: carol,
      body: { provider: 'ollama', model: 'llama3', messages: [{ role: 'user', content: 'hi' }], page_context: { url: 'https://news.example/', fields: { q: 'x' } } },
    });
    assert.equal(chat.status, 200, chat.text);
  });
  after(async () => {
    await gw.stop(true);
    await fake.close();
  });

  const refused = async (method: string, path: string, token: string, body?: unknown) => {
    failing = true;
    try {
      const res = await call(gw.url, method, path, { token, ...(body === undefined ? {} : { body }) });
      assert.equal(res.status, 503, `${method} ${path}: ${res.text}`);
      assert.equal(res.body.code, 'GW_ERR_AUDIT_UNAVAILABLE');
      return res;
    } finally {
      failing = false;
    }
  };

  test('PUT a rule: 503 and nothing is stored; then it works', async () => {
    await refused('PUT', rule('https://bank.example'), admin, { fields: ['acct'] });
    assert.equal((await call(gw.url, 'GET', rule('https://bank.example'), { token: admin })).status, 404);
    assert.equal((await call(gw.url, 'PUT', rule('https://bank.example'), { token: admin, body: { fields: ['acct'] } })).status, 200);
  });

  test('PUT a replacement: 503 and the old rule stays', async () => {
    await refused('PUT', rule('https://bank.example'), admin, { fields: ['other'] });
    assert.deepEqual((await call(gw.url, 'GET', rule('https://bank.example'), { token: admin })).body.fields, ['acct']);
  });

  test('DELETE a rule: 503 and the rule stays', async () => {
    await refused('DELETE', rule('https://bank.example'), admin);
    assert.equal((await call(gw.url, 'GET', rule('https://bank.example'), { token: admin })).status, 200);
    assert.equal((await call(gw.url, 'DELETE', rule('https://bank.example'), { token: admin })).status, 204);
  });

  test('export: 503 and no data is sent', async () => {
    const res = await refused('GET', '/privacy/export?subject=carol', carol);
    assert.equal(res.text.includes('news.example'), false);
  });

  test('erase: 503 and nothing is erased (rows, login, audit key); then it works', async () => {
    await refused('DELETE', '/privacy/erase?subject=carol', carol);
    const after = await call(gw.url, 'GET', '/privacy/export?subject=carol', { token: carol });
    assert.equal(after.status, 200, 'the user and the session still exist');
    assert.equal(after.body.stores.consent_records.length, 1);
    assert.equal(after.body.stores.users.length, 1);
    assert.ok(after.body.stores.audit_entries.some((e: Record<string, unknown>) => JSON.stringify(e).includes('chat.complete')), 'audit entries still readable');
    const erased = await call(gw.url, 'DELETE', '/privacy/erase?subject=carol', { token: carol });
    assert.equal(erased.status, 200, erased.text);
    assert.equal(erased.body.erased.consent_records, 1);
  });
});
