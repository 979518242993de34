/**
 * Black-box tests of POST /chat/complete against a real gateway whose provider endpoints point
 * at a real fake provider on 127.0.0.1 (OpenAI SSE, Anthropic events, Ollama NDJSON).
 */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { call, loginAdmin, startGateway, type TestGateway } from '../support/gateway.ts';
import { SECRET_ERROR_TEXT, startFakeProvider, type FakeProvider } from '../support/fake-provider.ts';

const OPENAI_KEY = 'sk-test-openai-key-123456';
const ANTHROPIC_KEY = 'sk-ant-test-key-654321';
const USER_PASSWORD = 'alice password long enough';

let fake: FakeProvider;
let gw: TestGateway;
let admin: string;
let user: string;

interface SseFrame { event: string; data: string }

function parseSse(text: string): { frames: SseFrame[]; comments: string[] } {
  const frames: SseFrame[] = [];
  const comments: string[] = [];
  for (const block of text.split('\n\n')) {
    if (block.trim() === '') continue;
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) comments.push(line.slice(1).trim());
      else if (line.startsWith('event: ')) event = line.slice(7);
      else if (line.startsWith('data: ')) data.push(line.slice(6));
    }
    if (data.length > 0) frames.push({ event, data: data.join('\n') });
  }
  return { frames, comments };
}

async function streamChat(body: unknown, token = user): Promise<{ status: number; contentType: string; frames: SseFrame[]; text: string }> {
  const res = await fetch(`${gw.url}/chat/complete?stream=true`, {
    method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', frames: parseSse(text).frames, text };
}

function resetFake(): void {
  fake.mode = { kind: 'ok' };
  fake.tokens = ['Hel', 'lo', ' wor', 'ld'];
  fake.chunkDelayMs = 0;
  fake.aborted = 0;
  fake.received.length = 0;
}

before(async () => {
  fake = await startFakeProvider();
  gw = await startGateway({
    env: {
      PALISADE_PROVIDER_ALLOWLIST: fake.origin,
      PALISADE_OPENAI_BASE_URL: fake.origin,
      PALISADE_ANTHROPIC_BASE_URL: fake.origin,
      PALISADE_OLLAMA_BASE_URL: fake.origin,
      PALISADE_OPENROUTER_BASE_URL: fake.origin,
    },
  });
  admin = (await loginAdmin(gw.url)).token;
  const created = await call(gw.url, 'POST', '/admin/users', { token: admin, body: { username: 'alice', password: USER_PASSWORD, role: 'user' } });
  assert.equal(created.status, 201, created.text);
  user = (await loginAdmin(gw.url, USER_PASSWORD, 'alice')).token;
  for (const [name, key] of [['openai', OPENAI_KEY], ['anthropic', ANTHROPIC_KEY]] as const) {
    const put = await call(gw.url, 'PUT', `/admin/providers/${name}/key`, { token: admin, body: { key, ttl_days: 30 } });
    assert.equal(put.status, 200, put.text);
  }
});

after(async () => {
  await gw.stop(true);
  await fake.close();
});

beforeEach(resetFake);

describe('streaming /chat/complete?stream=true', () => {
  for (const provider of ['openai', 'anthropic', 'ollama'] as const) {
    test(`${provider}: delta frames concatenate to the done frame's content, with a session id`, async () => {
      fake.tokens = ['Pal', 'isa', 'de ', 'streams ', `${provider}`];
      const res = await streamChat({ provider, model: 'test-model', messages: [{ role: 'user', content: 'hi' }] });
      assert.equal(res.status, 200);
      assert.match(res.contentType, /^text\/event-stream/);
      const deltas = res.frames.filter((f) => f.event === 'message').map((f) => JSON.parse(f.data) as Record<string, unknown>);
      const done = deltas.pop();
      assert.ok(deltas.length >= 2, 'several delta frames');
      const joined = deltas.map((d) => d['delta']).join('');
      assert.equal(joined, `Palisade streams ${provider}`);
      assert.equal(done?.['done'], true);
      assert.equal(done?.['content'], joined);
      assert.match(String(done?.['session_id']), /^[0-9a-f-]{36}$/);
      assert.equal(res.frames.some((f) => f.event === 'error'), false);
    });
  }

  test('the stream is sent with Cache-Control: no-cache', async () => {
    const res = await fetch(`${gw.url}/chat/complete?stream=true`, {
      method: 'POST', headers: { authorization: `Bearer ${user}`, 'content-type': 'application/json' },
      body: JSON.stringify({ provider: 'ollama', model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
    });
    assert.match(res.headers.get('cache-control') ?? '', /no-cache/);
    await res.text();
  });

  test('a provider failure mid-stream ends with an event: error frame and no done frame, without upstream text', async () => {
    fake.mode = { kind: 'fail-mid-stream' };
    const res = await streamChat({ provider: 'openai', model: 'm', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(res.status, 200);
    const errors = res.frames.filter((f) => f.event === 'error');
    assert.equal(errors.length, 1);
    assert.match(String((JSON.parse(errors[0]?.data ?? '{}') as Record<string, unknown>)['code']), /^PRV_ERR_/);
    assert.equal(res.frames.some((f) => f.data.includes('"done"')), false);
    assert.equal(res.text.includes(SECRET_ERROR_TEXT), false);
  });

  test('a provider that answers 500 at once gives an event: error frame and never echoes its body', async () => {
    fake.mode = { kind: 'status', status: 500 };
    const res = await streamChat({ provider: 'anthropic', model: 'm', messages: [{ role: 'user', content: 'hi' }] });
    const errors = res.frames.filter((f) => f.event === 'error');
    assert.equal(errors.length, 1);
    assert.equal(JSON.parse(errors[0]?.data ?? '{}').code, 'PRV_ERR_UPSTREAM_SERVER');
    assert.equal(res.text.includes(SECRET_ERROR_TEXT), false);
    assert.equal(res.text.includes('"done"'), false);
  });

  test('a client that disconnects mid-stream aborts the upstream request (the fake provider sees the close)', async () => {
    fake.tokens = Array.from({ length: 200 }, (_, i) => `t${i} `);
    fake.chunkDelayMs = 50;
    await new Promise<void>((resolve, reject) => {
      const body = JSON.stringify({ provider: 'openai', model: 'm', messages: [{ role: 'user', content: 'hi' }] });
      const req = httpRequest({
        host: '127.0.0.1', port: gw.port, path: '/chat/complete?stream=true', method: 'POST',
        headers: { authorization: `Bearer ${user}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      }, (res) => {
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (chunk.includes('"delta"')) {
            req.destroy();
            resolve();
          }
        });
        res.on('error', () => undefined);
      });
      req.on('error', () => undefined);
      req.end(body);
      setTimeout(() => reject(new Error('no delta within 30 s')), 30_000).unref();
    });
    await fake.waitForAbort(30_000);
    assert.ok(fake.aborted >= 1);
  });
});

describe('non-stream /chat/complete', () => {
  test('answers JSON with the full content, provider and session id', async () => {
    const res = await call(gw.url, 'POST', '/chat/complete', { token: user, body: { provider: 'anthropic', model: 'claude-x', messages: [{ role: 'user', content: 'hi' }] } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.content, 'Hello world');
    assert.equal(res.body.provider, 'anthropic');
    assert.match(res.body.session_id, /^[0-9a-f-]{36}$/);
  });

  test('sends the stored key to the provider as its credential', async () => {
    await call(gw.url, 'POST', '/chat/complete', { token: user, body: { provider: 'openai', model: 'm', messages: [{ role: 'user', content: 'hi' }] } });
    assert.equal(fake.received.at(-1)?.headers['authorization'], `Bearer ${OPENAI_KEY}`);
    await call(gw.url, 'POST', '/chat/complete', { token: user, body: { provider: 'anthropic', model: 'm', messages: [{ role: 'user', content: 'hi' }] } });
    assert.equal(fake.received.at(-1)?.headers['x-api-key'], ANTHROPIC_KEY);
  });

  test('an upstream 500 becomes a 502 problem with GW_ERR_PROVIDER and no upstream text', async () => {
    fake.mode = { kind: 'status', status: 500 };
    const res = await call(gw.url, 'POST', '/chat/complete', { token: user, body: { provider: 'openai', model: 'm', messages: [{ role: 'user', content: 'hi' }] } });
    assert.equal(res.status, 502);
    assert.equal(res.body.code, 'GW_ERR_PROVIDER');
    assert.equal(res.body.provider_code, 'PRV_ERR_UPSTREAM_SERVER');
    assert.equal(res.text.includes(SECRET_ERROR_TEXT), false);
  });
});

describe('validation and access', () => {
  test('rejects an extra body field with 422', async () => {
    const res = await call(gw.url, 'POST', '/chat/complete', { token: user, body: { provider: 'openai', model: 'm', messages: [{ role: 'user', content: 'hi' }], base_url: 'http://evil' } });
    assert.equal(res.status, 422);
    assert.equal(res.body.code, 'GW_ERR_VALIDATION');
    assert.equal(fake.received.length, 0);
  });

  test('rejects an unknown provider and a bad message role with 422', async () => {
    for (const body of [
      { provider: 'evilcorp', model: 'm', messages: [{ role: 'user', content: 'hi' }] },
      { provider: 'openai', model: 'm', messages: [{ role: 'tool', content: 'hi' }] },
      { provider: 'openai', model: 'm', messages: [] },
    ]) {
      const res = await call(gw.url, 'POST', '/chat/complete', { token: user, body });
      assert.equal(res.status, 422, JSON.stringify(body));
    }
    assert.equal(fake.received.length, 0);
  });

  test('requires a bearer token (401) and refuses agent tokens (403)', async () => {
    const body = { provider: 'ollama', model: 'm', messages: [{ role: 'user', content: 'hi' }] };
    const anon = await call(gw.url, 'POST', '/chat/complete', { body });
    assert.equal(anon.status, 401);
    const created = await call(gw.url, 'POST', '/admin/agents', { token: admin, body: { agent_id: 'chat-bot', tools: ['*'] } });
    const agent = await call(gw.url, 'POST', '/chat/complete', { token: created.body.token, body });
    assert.equal(agent.status, 403);
  });

  test('admin tokens may chat too', async () => {
    const res = await call(gw.url, 'POST', '/chat/complete', { token: admin, body: { provider: 'ollama', model: 'm', messages: [{ role: 'user', content: 'hi' }] } });
    assert.equal(res.status, 200, res.text);
  });
});

describe('provider keys', () => {
  test('a missing key is a 503 GW_ERR_PROVIDER_KEY problem; after PUT the key reaches the provider and is never listed', async () => {
    const body = { provider: 'openrouter', model: 'some/model', messages: [{ role: 'user', content: 'hi' }] };
    const missing = await call(gw.url, 'POST', '/chat/complete', { token: user, body });
    assert.equal(missing.status, 503);
    assert.equal(missing.body.code, 'GW_ERR_PROVIDER_KEY');
    assert.equal(missing.body.provider_code, 'PRV_ERR_KEY_MISSING');
    const streamMissing = await streamChat(body);
    assert.equal(streamMissing.status, 503, 'stream requests get the problem before any SSE byte');
    assert.equal(fake.received.length, 0);

    const key = 'sk-or-fresh-key-abcdef';
    const put = await call(gw.url, 'PUT', '/admin/providers/openrouter/key', { token: admin, body: { key, ttl_days: 7 } });
    assert.equal(put.status, 200, put.text);
    const ok = await streamChat(body);
    assert.equal(ok.status, 200);
    assert.equal(JSON.parse(ok.frames.at(-1)?.data ?? '{}').content, 'Hello world');
    assert.equal(fake.received.at(-1)?.headers['authorization'], `Bearer ${key}`);

    const list = await call(gw.url, 'GET', '/admin/providers', { token: admin });
    assert.equal(list.status, 200);
    for (const secret of [key, OPENAI_KEY, ANTHROPIC_KEY]) assert.equal(list.text.includes(secret), false);
    const audit = await call(gw.url, 'GET', '/admin/audit', { token: admin });
    for (const secret of [key, OPENAI_KEY, ANTHROPIC_KEY]) assert.equal(audit.text.includes(secret), false);
  });
});

describe('page_context redaction', () => {
  test('a password input, a card number and a rule-matched field never reach the provider; a consent record is written', async () => {
    const rule = await call(gw.url, 'PUT', `/admin/redaction-rules/${encodeURIComponent('https://shop.example')}`, {
      token: admin, body: { fields: ['loyalty_id'], patterns: ['EMP-[0-9]{6}'] },
    });
    assert.equal(rule.status, 200, rule.text);
    const secrets = ['hunter2-very-secret', '4111 1111 1111 1111', 'LOYAL-998877', 'EMP-123456', 'pw-in-html-xyz'];
    const res = await streamChat({
      provider: 'openai', model: 'm', messages: [{ role: 'user', content: 'summarize this page' }],
      page_context: {
        url: 'HTTPS://Shop.Example:443/checkout?x=1#frag',
        fields: { password: secrets[0], note: `card ${secrets[1]} thanks`, loyalty_id: secrets[2], comment: `badge ${secrets[3]}`, city: 'Lyon' },
        html: `<form><input type="password" name="pw" value="${secrets[4]}"><input name="city2" value="Paris"></form>`,
      },
    });
    assert.equal(res.status, 200);
    assert.equal(JSON.parse(res.frames.at(-1)?.data ?? '{}').done, true);
    const sent = fake.received.at(-1)?.body ?? '';
    assert.ok(sent.includes('Lyon'), 'unredacted ordinary fields are shared');
    assert.ok(sent.includes('summarize this page'));
    for (const s of secrets) assert.equal(sent.includes(s), false, `${s} reached the provider`);
    assert.equal(sent.includes('4111111111111111'), false);

    const exported = await call(gw.url, 'GET', '/privacy/export?subject=alice', { token: user });
    assert.equal(exported.status, 200, exported.text);
    const consent = exported.body.stores.consent_records.at(-1);
    assert.equal(consent.origin, 'https://shop.example');
    assert.equal(consent.provider, 'openai');
    assert.ok(consent.fieldsRedacted.includes('password'));
    assert.ok(consent.fieldsRedacted.includes('loyalty_id'));
    assert.ok(consent.fieldsShared.includes('city'));
    assert.equal(JSON.stringify(exported.body).includes(secrets[0] ?? 'x'), false);
    // the audit log holds the redaction summary (names) and never a value
    const audit = await call(gw.url, 'GET', '/admin/audit?event=chat.complete', { token: admin });
    assert.equal(audit.status, 200);
    for (const s of secrets) assert.equal(audit.text.includes(s), false);
    assert.ok(audit.text.includes('loyalty_id'));
  });

  test('an invalid page_context is a 422 before anything reaches the provider', async () => {
    const res = await call(gw.url, 'POST', '/chat/complete', {
      token: user, body: { provider: 'openai', model: 'm', messages: [{ role: 'user', content: 'hi' }], page_context: { url: 'file:///etc/passwd', fields: {} } },
    });
    assert.equal(res.status, 422);
    assert.equal(fake.received.length, 0);
  });
});

describe('a provider that is slow to answer', () => {
  test('the open stream carries `: ping` heartbeats, and a client leaving before the first token aborts the upstream call', { timeout: 60_000 }, async () => {
    fake.mode = { kind: 'hang' };
    const controller = new AbortController();
    const res = await fetch(`${gw.url}/chat/complete?stream=true`, {
      method: 'POST', signal: controller.signal,
      headers: { authorization: `Bearer ${user}`, 'content-type': 'application/json' },
      body: JSON.stringify({ provider: 'openai', model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
    });
    assert.equal(res.status, 200);
    const reader = (res.body as ReadableStream<Uint8Array>).pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    while (!text.includes(': ping')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
    }
    assert.ok(text.includes(': ping\n\n'), 'heartbeat comment seen (default interval 15 s)');
    controller.abort();
    await reader.cancel().catch(() => undefined);
    await fake.waitForAbort(30_000);
    assert.ok(fake.aborted >= 1);
  });
});
