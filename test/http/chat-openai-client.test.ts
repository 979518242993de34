/**
 * The official `openai` npm client pointed at Palisade's /v1/chat/completions (baseURL
 * `${gw.url}/v1`, apiKey = a Palisade user token) completes streamed and non-streamed
 * requests, relayed to a real fake provider on 127.0.0.1.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { call, loginAdmin, startGateway, type TestGateway } from '../support/gateway.ts';
import { SECRET_ERROR_TEXT, startFakeProvider, type FakeProvider } from '../support/fake-provider.ts';

const UPSTREAM_KEY = 'sk-upstream-only-key-42';
let fake: FakeProvider;
let gw: TestGateway;
let client: OpenAI;
let userToken: string;

before(async () => {
  fake = await startFakeProvider();
  gw = await startGateway({ env: { PALISADE_PROVIDER_ALLOWLIST: fake.origin, PALISADE_OPENAI_BASE_URL: fake.origin, PALISADE_ANTHROPIC_BASE_URL: fake.origin, PALISADE_OLLAMA_BASE_URL: fake.origin, PALISADE_OPENROUTER_BASE_URL: fake.origin } });
  const admin = (await loginAdmin(gw.url)).token;
  assert.equal((await call(gw.url, 'POST', '/admin/users', { token: admin, body: { username: 'frank', password: 'frank password long', role: 'user' } })).status, 201);
  assert.equal((await call(gw.url, 'PUT', '/admin/providers/openai/key', { token: admin, body: { key: UPSTREAM_KEY, ttl_days: 30 } })).status, 200);
  userToken = (await loginAdmin(gw.url, 'frank password long', 'frank')).token;
  client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: userToken, maxRetries: 0, timeout: 30_000 });
});

after(async () => {
  await gw.stop(true);
  await fake.close();
});

describe('openai npm client against /v1/chat/completions', () => {
  test('completes a non-streamed request', async () => {
    fake.tokens = ['Hello', ' from', ' fake'];
    const res = await client.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(res.object, 'chat.completion');
    assert.equal(res.model, 'gpt-test');
    assert.equal(res.choices[0]?.message.content, 'Hello from fake');
    assert.equal(res.choices[0]?.finish_reason, 'stop');
    assert.equal(fake.received.at(-1)?.headers['authorization'], `Bearer ${UPSTREAM_KEY}`, 'the Palisade token is not forwarded upstream');
  });

  test('completes a streamed request; chunks join to the provider content', async () => {
    fake.tokens = ['Str', 'eam', 'ed ', 'reply'];
    const stream = await client.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }], stream: true });
    let text = '';
    let chunks = 0;
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      chunks += 1;
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    assert.equal(text, 'Streamed reply');
    assert.ok(chunks >= 4);
    assert.equal(finish, 'stop');
  });

  test('a provider prefix in the model selects another provider (ollama:llama3 → Ollama wire)', async () => {
    fake.tokens = ['local ', 'model'];
    const res = await client.chat.completions.create({ model: 'ollama:llama3', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(res.choices[0]?.message.content, 'local model');
    assert.match(fake.received.at(-1)?.path ?? '', /\/api\/chat$/);
  });

  test('an upstream failure surfaces as an APIError without upstream text; a bad token as 401', async () => {
    fake.mode = { kind: 'status', status: 500 };
    try {
      await assert.rejects(client.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] }), (e: unknown) => {
        assert.ok(e instanceof OpenAI.APIError);
        assert.equal(e.status, 502);
        assert.equal(JSON.stringify(e.error ?? {}).includes(SECRET_ERROR_TEXT), false);
        return true;
      });
    } finally {
      fake.mode = { kind: 'ok' };
    }
    const bad = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'not-a-token', maxRetries: 0 });
    await assert.rejects(bad.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] }), (e: unknown) => e instanceof OpenAI.APIError && e.status === 401);
  });

  test('the raw stream ends with data: [DONE]; an unknown body field is a 422', async () => {
    fake.tokens = ['a', 'b'];
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST', headers: { authorization: `Bearer ${userToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }], stream: true }),
    });
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
    const text = await res.text();
    assert.ok(text.trimEnd().endsWith('data: [DONE]'), text);
    const extra = await call(gw.url, 'POST', '/v1/chat/completions', { token: userToken, body: { model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }], functions: [] } });
    assert.equal(extra.status, 422);
  });
});
