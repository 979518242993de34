/**
 * An egress refusal at connect time, through the real chat route: the provider's base URL is an
 * allowlisted NAME (`localhost`) that resolves to loopback, which the egress refuses for names
 * (only an explicitly allowlisted IP literal may be loopback). The refusal keeps its one code
 * (EGR_ERR_DENIED, from the egress layer) up to the gateway, which answers 502
 * GW_ERR_EGRESS_DENIED; the fake provider on that port never sees a connection.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { call, loginAdmin, startGateway, type TestGateway } from '../support/gateway.ts';
import { startFakeProvider, type FakeProvider } from '../support/fake-provider.ts';

let fake: FakeProvider;
let gw: TestGateway;
let user: string;
const PASSWORD = 'user password long enough';

before(async () => {
  fake = await startFakeProvider();
  const origin = `http://localhost:${fake.port}`;
  gw = await startGateway({ env: { PALISADE_PROVIDER_ALLOWLIST: origin, PALISADE_OPENAI_BASE_URL: origin, PALISADE_PROVIDERS: 'openai' } });
  const admin = (await loginAdmin(gw.url)).token;
  const created = await call(gw.url, 'POST', '/admin/users', { token: admin, body: { username: 'bob', password: PASSWORD, role: 'user' } });
  assert.equal(created.status, 201, created.text);
  user = (await loginAdmin(gw.url, PASSWORD, 'bob')).token;
  const put = await call(gw.url, 'PUT', '/admin/providers/openai/key', { token: admin, body: { key: 'sk-test-egress-denied-000000', ttl_days: 30 } });
  assert.equal(put.status, 200, put.text);
});
after(async () => {
  await gw?.stop(true);
  await fake?.close();
});

test('chat to a provider whose allowlisted name resolves to loopback → 502 GW_ERR_EGRESS_DENIED (egress_code EGR_ERR_DENIED), nothing dialed', async () => {
  const before = fake.connections;
  const body = { provider: 'openai', model: 'm', messages: [{ role: 'user', content: 'hi' }] };
  const res = await call(gw.url, 'POST', '/chat/complete', { token: user, body });
  assert.equal(res.status, 502, res.text);
  assert.equal(res.body.code, 'GW_ERR_EGRESS_DENIED');
  assert.equal(res.body.egress_code, 'EGR_ERR_DENIED');
  const stream = await fetch(`${gw.url}/chat/complete?stream=true`, {
    method: 'POST', headers: { authorization: `Bearer ${user}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  const text = await stream.text();
  assert.match(text, /event: error\ndata: \{"code":"EGR_ERR_DENIED"/, text);
  assert.equal(fake.connections, before, 'the provider port saw no connection');
});
