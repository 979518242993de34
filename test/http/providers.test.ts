/** Admin provider-key routes: metadata-only listing, validation, rotation, access, audit without keys. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { call, loginAdmin, startGateway, type TestGateway } from '../support/gateway.ts';
import { startFakeProvider, type FakeProvider } from '../support/fake-provider.ts';

let fake: FakeProvider;
let gw: TestGateway;
let admin: string;
let user: string;
const FIRST = 'sk-first-key-0000000001';
const SECOND = 'sk-second-key-000000002';

before(async () => {
  fake = await startFakeProvider();
  gw = await startGateway({ env: { PALISADE_PROVIDER_ALLOWLIST: fake.origin, PALISADE_OPENAI_BASE_URL: fake.origin, PALISADE_ANTHROPIC_BASE_URL: fake.origin, PALISADE_OLLAMA_BASE_URL: fake.origin, PALISADE_OPENROUTER_BASE_URL: fake.origin } });
  admin = (await loginAdmin(gw.url)).token;
  await call(gw.url, 'POST', '/admin/users', { token: admin, body: { username: 'dora', password: 'dora password long', role: 'user' } });
  user = (await loginAdmin(gw.url, 'dora password long', 'dora')).token;
});

after(async () => {
  await gw.stop(true);
  await fake.close();
});

const chat = () => call(gw.url, 'POST', '/chat/complete', { token: user, body: { provider: 'openai', model: 'm', messages: [{ role: 'user', content: 'hi' }] } });

describe('/admin/providers', () => {
  test('lists every provider with key status metadata and no key', async () => {
    const empty = await call(gw.url, 'GET', '/admin/providers', { token: admin });
    assert.equal(empty.status, 200);
    const names = empty.body.providers.map((p: { name: string }) => p.name).sort();
    assert.deepEqual(names, ['anthropic', 'ollama', 'openai', 'openrouter']);
    const openai = empty.body.providers.find((p: { name: string }) => p.name === 'openai');
    assert.equal(openai.key_status, 'missing');
    assert.equal(openai.stored, false);
    assert.equal((await call(gw.url, 'PUT', '/admin/providers/openai/key', { token: admin, body: { key: FIRST, ttl_days: 10 } })).status, 200);
    const listed = await call(gw.url, 'GET', '/admin/providers', { token: admin });
    const after = listed.body.providers.find((p: { name: string }) => p.name === 'openai');
    assert.equal(after.key_status, 'stored');
    assert.equal(after.stored, true);
    assert.ok(Date.parse(after.expires_at) > Date.now() + 9 * 86_400_000);
    assert.equal(listed.text.includes(FIRST), false);
    assert.equal(Object.keys(after).some((k) => k === 'key' || k === 'value' || k === 'secret'), false, 'no key property');
  });

  test('the key is encrypted at rest: it appears in no file of the data dir', () => {
    const walk = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? walk(join(dir, d.name)) : [join(dir, d.name)]));
    for (const file of walk(gw.dataDir)) assert.equal(readFileSync(file).includes(FIRST), false, file);
  });

  test('rotation makes the new key the one sent upstream and reports the overlap of the old one', async () => {
    assert.equal((await chat()).status, 200);
    assert.equal(fake.received.at(-1)?.headers['authorization'], `Bearer ${FIRST}`);
    const rot = await call(gw.url, 'POST', '/admin/providers/openai/rotate', { token: admin, body: { key: SECOND, ttl_days: 30, overlap_hours: 2 } });
    assert.equal(rot.status, 200, rot.text);
    assert.ok(Date.parse(rot.body.previous_valid_until) > Date.now() + 3_000_000);
    assert.equal(rot.text.includes(SECOND), false);
    assert.equal((await chat()).status, 200);
    assert.equal(fake.received.at(-1)?.headers['authorization'], `Bearer ${SECOND}`);
  });

  test('rejects bad bodies (422), unknown or keyless providers (404)', async () => {
    const cases: Array<[string, string, unknown, number]> = [
      ['PUT', '/admin/providers/openai/key', { key: FIRST, ttl_days: 0 }, 422],
      ['PUT', '/admin/providers/openai/key', { key: 'has space in it', ttl_days: 5 }, 422],
      ['PUT', '/admin/providers/openai/key', { key: FIRST, ttl_days: 5, base_url: 'http://x' }, 422],
      ['PUT', '/admin/providers/openai/key', { key: FIRST }, 422],
      ['POST', '/admin/providers/openai/rotate', { key: SECOND, ttl_days: 5, overlap_hours: 9999 }, 422],
      ['PUT', '/admin/providers/nosuch/key', { key: FIRST, ttl_days: 5 }, 404],
      ['PUT', '/admin/providers/ollama/key', { key: FIRST, ttl_days: 5 }, 404],
    ];
    for (const [method, path, body, status] of cases) {
      const res = await call(gw.url, method, path, { token: admin, body });
      assert.equal(res.status, status, `${method} ${path} ${JSON.stringify(body)}: ${res.text}`);
    }
  });

  test('user tokens reach none of the provider admin routes (403)', async () => {
    assert.equal((await call(gw.url, 'GET', '/admin/providers', { token: user })).status, 403);
    assert.equal((await call(gw.url, 'PUT', '/admin/providers/openai/key', { token: user, body: { key: FIRST, ttl_days: 1 } })).status, 403);
    assert.equal((await call(gw.url, 'POST', '/admin/providers/openai/rotate', { token: user, body: { key: FIRST, ttl_days: 1 } })).status, 403);
  });

  test('key changes are audited with provider and expiry, never the key', async () => {
    const res = await call(gw.url, 'GET', '/admin/audit', { token: admin });
    const types = res.body.entries.map((e: { type: string }) => e.type);
    assert.ok(types.includes('provider.key.put'));
    assert.ok(types.includes('provider.key.rotate'));
    assert.equal(res.text.includes(FIRST), false);
    assert.equal(res.text.includes(SECOND), false);
  });

  test('deleting the stored key brings back the 503 GW_ERR_PROVIDER_KEY problem', async () => {
    assert.equal((await call(gw.url, 'DELETE', '/admin/providers/openai/key', { token: admin })).status, 204);
    const res = await chat();
    assert.equal(res.status, 503);
    assert.equal(res.body.code, 'GW_ERR_PROVIDER_KEY');
  });
});
