/** Admin redaction-rule routes: CRUD keyed by the normalized origin, validation, access. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { call, loginAdmin, startGateway, type TestGateway } from '../support/gateway.ts';

let gw: TestGateway;
let admin: string;
let user: string;
const path = (origin: string): string => `/admin/redaction-rules/${encodeURIComponent(origin)}`;

before(async () => {
  gw = await startGateway();
  admin = (await loginAdmin(gw.url)).token;
  await call(gw.url, 'POST', '/admin/users', { token: admin, body: { username: 'erin', password: 'erin password long', role: 'user' } });
  user = (await loginAdmin(gw.url, 'erin password long', 'erin')).token;
});

after(() => gw.stop(true));

describe('/admin/redaction-rules', () => {
  test('PUT stores a rule under the normalized origin; GET by any spelling of that origin finds it', async () => {
    const put = await call(gw.url, 'PUT', path('HTTPS://Mail.Example.COM:443/inbox?x=1'), { token: admin, body: { fields: ['Subject'], patterns: ['ACCT-[0-9]{4}'] } });
    assert.equal(put.status, 200, put.text);
    assert.equal(put.body.origin, 'https://mail.example.com');
    assert.deepEqual(put.body.fields, ['Subject']);
    const got = await call(gw.url, 'GET', path('https://mail.example.com'), { token: admin });
    assert.equal(got.status, 200);
    assert.deepEqual(got.body.patterns, ['ACCT-[0-9]{4}']);
    assert.equal(got.body.updated_by, 'admin:admin');
    const list = await call(gw.url, 'GET', '/admin/redaction-rules', { token: admin });
    assert.deepEqual(list.body.rules.map((r: { origin: string }) => r.origin), ['https://mail.example.com']);
  });

  test('PUT replaces the rule; DELETE removes it (then 404)', async () => {
    await call(gw.url, 'PUT', path('http://127.0.0.1:3000'), { token: admin, body: { fields: ['a'], patterns: [] } });
    const second = await call(gw.url, 'PUT', path('http://127.0.0.1:3000'), { token: admin, body: { fields: ['b'] } });
    assert.deepEqual(second.body.fields, ['b']);
    assert.equal((await call(gw.url, 'DELETE', path('http://127.0.0.1:3000/'), { token: admin })).status, 204);
    assert.equal((await call(gw.url, 'GET', path('http://127.0.0.1:3000'), { token: admin })).status, 404);
    assert.equal((await call(gw.url, 'DELETE', path('http://127.0.0.1:3000'), { token: admin })).status, 404);
  });

  test('rejects extra fields, bad patterns, backreferences, lookaround and non-http origins with 422', async () => {
    const cases: Array<[string, unknown]> = [
      [path('https://a.example'), { fields: ['x'], extra: true }],
      [path('https://a.example'), { patterns: ['(unclosed'] }],
      [path('https://a.example'), { patterns: ['(a)\\1'] }],
      [path('https://a.example'), { patterns: ['(?<=a)b'] }],
      [path('https://a.example'), { fields: 'password' }],
      [path('ftp://a.example'), { fields: ['x'] }],
      [path('not a url'), { fields: ['x'] }],
    ];
    for (const [p, body] of cases) {
      const res = await call(gw.url, 'PUT', p, { token: admin, body });
      assert.equal(res.status, 422, `${p} ${JSON.stringify(body)}: ${res.text}`);
    }
  });

  test('user tokens are refused (403)', async () => {
    assert.equal((await call(gw.url, 'GET', '/admin/redaction-rules', { token: user })).status, 403);
    assert.equal((await call(gw.url, 'PUT', path('https://a.example'), { token: user, body: { fields: [] } })).status, 403);
  });

  test('rule changes are audited', async () => {
    const res = await call(gw.url, 'GET', '/admin/audit', { token: admin });
    const types = res.body.entries.map((e: { type: string }) => e.type);
    assert.ok(types.includes('redaction.rule.put'));
    assert.ok(types.includes('redaction.rule.delete'));
  });
});
