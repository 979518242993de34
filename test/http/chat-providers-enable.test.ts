/**
 * Issue 18.2/18.3 end to end: a single-origin provider allowlist starts the gateway with the
 * other providers disabled (GET /admin/providers says why, chat to them → 503
 * GW_ERR_PROVIDER_DISABLED, nothing leaves the machine), and PALISADE_OPENAI_BASE_URL works
 * with and without a trailing /v1 against a real fake upstream (no /v1/v1 path).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { call, loginAdmin, startGateway, type TestGateway } from '../support/gateway.ts';
import { startFakeProvider, type FakeProvider } from '../support/fake-provider.ts';

const ENV_KEY = 'sk-env-key-for-openai-0001';
let fake: FakeProvider;
const gateways: TestGateway[] = [];

before(async () => {
  fake = await startFakeProvider();
});
after(async () => {
  for (const g of gateways) await g.stop(true);
  await fake.close();
});

async function start(baseUrl: string): Promise<{ gw: TestGateway; admin: string }> {
  const gw = await startGateway({
    env: { PALISADE_PROVIDER_ALLOWLIST: fake.origin, PALISADE_OPENAI_BASE_URL: baseUrl },
    keyEnv: { OPENAI_API_KEY: ENV_KEY },
  });
  gateways.push(gw);
  return { gw, admin: (await loginAdmin(gw.url)).token };
}

const msg = [{ role: 'user', content: 'hi' }];

describe('single-origin allowlist', () => {
  test('starts; other providers are listed disabled with the reason; chat to one is a 503 with a stable code', async () => {
    const { gw, admin } = await start(fake.origin);
    const list = await call(gw.url, 'GET', '/admin/providers', { token: admin });
    assert.equal(list.status, 200);
    const by = new Map<string, { enabled: boolean; disabled_reason: string | null }>(list.body.providers.map((p: { name: string }) => [p.name, p]));
    assert.equal(by.get('openai')?.enabled, true);
    assert.equal(by.get('openai')?.disabled_reason, null);
    for (const n of ['anthropic', 'openrouter', 'ollama']) {
      assert.equal(by.get(n)?.enabled, false, n);
      assert.match(by.get(n)?.disabled_reason ?? '', /not in PALISADE_PROVIDER_ALLOWLIST/);
    }
    const before = fake.received.length;
    const refused = await call(gw.url, 'POST', '/chat/complete', { token: admin, body: { provider: 'ollama', model: 'llama3', messages: msg } });
    assert.equal(refused.status, 503, refused.text);
    assert.equal(refused.body.code, 'GW_ERR_PROVIDER_DISABLED');
    assert.equal(refused.body.provider_code, 'PRV_ERR_PROVIDER_DISABLED');
    const refusedV1 = await call(gw.url, 'POST', '/v1/chat/completions', { token: admin, body: { model: 'anthropic:claude', messages: msg } });
    assert.equal(refusedV1.status, 503, refusedV1.text);
    assert.equal(fake.received.length, before, 'nothing was sent upstream for a disabled provider');
    const okChat = await call(gw.url, 'POST', '/chat/complete', { token: admin, body: { provider: 'openai', model: 'gpt-test', messages: msg } });
    assert.equal(okChat.status, 200, okChat.text);
    assert.equal(okChat.body.content, 'Hello world');
    assert.equal(fake.received.at(-1)?.headers['authorization'], `Bearer ${ENV_KEY}`, 'the OPENAI_API_KEY fallback is the upstream key');
  });
});

describe('PALISADE_OPENAI_BASE_URL with and without /v1', () => {
  for (const suffix of ['', '/v1', '/v1/']) {
    test(`base URL <fake>${suffix} → POST /v1/chat/completions upstream, never /v1/v1`, async () => {
      const { gw, admin } = await start(`${fake.origin}${suffix}`);
      const res = await call(gw.url, 'POST', '/v1/chat/completions', { token: admin, body: { model: 'gpt-test', messages: msg } });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.choices[0].message.content, 'Hello world');
      assert.equal(fake.received.at(-1)?.path, '/v1/chat/completions');
    });
  }
});
