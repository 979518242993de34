import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { anthropicAdapter } from '../../providers/adapters/anthropic.ts';
import { ollamaAdapter } from '../../providers/adapters/ollama.ts';
import { openaiAdapter } from '../../providers/adapters/openai.ts';
import type { ProviderAdapter } from '../../providers/adapters/adapter.ts';
import { streamOpenAiCompatible, streamPalisadeChat, toOpenAiCompletion, type StreamOutcome } from '../../providers/chat-sse.ts';
import { createEgress, type Egress } from '../../providers/egress/dispatcher.ts';
import { openSse } from '../../providers/sse.ts';
import type { ChatRequest } from '../../providers/types.ts';
import { SECRET_ERROR_TEXT, startFakeProvider, type FakeProvider } from '../support/fake-provider.ts';

const chat: ChatRequest = { model: 'test-model', messages: [{ role: 'user', content: 'hi' }] };
let fake: FakeProvider;
let egress: Egress;
let server: Server;
let port = 0;
let adapter: ProviderAdapter;
let outcomes: StreamOutcome[] = [];

before(async () => {
  fake = await startFakeProvider();
  egress = createEgress({ allowlist: [fake.origin], timeoutMs: 30_000, maxResponseBytes: 1 << 20 });
  adapter = openaiAdapter(egress, fake.origin, { maxLineChars: 1 << 16 });
  // A minimal stand-in for the gateway routes, wired the way the integrator will wire them.
  server = createServer((req, res) => {
    if (req.url?.startsWith('/v1/chat/completions')) {
      const parts: Buffer[] = [];
      req.on('data', (c: Buffer) => parts.push(c));
      req.on('end', () => {
        const body = JSON.parse(Buffer.concat(parts).toString('utf8')) as { stream?: boolean };
        if (body.stream) {
          const writer = openSse(req, res, { heartbeatMs: 1000 });
          void streamOpenAiCompatible(adapter.stream(chat, { key: 'k', signal: writer.signal }), writer, { id: 'chatcmpl-x', model: chat.model, created: 1 }).then((o) => outcomes.push(o));
        } else {
          void adapter.complete(chat, { key: 'k' }).then((r) => {
            res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(toOpenAiCompletion(r, { id: 'chatcmpl-y', created: 1 })));
          });
        }
      });
      return;
    }
    const writer = openSse(req, res, { heartbeatMs: 30 });
    void streamPalisadeChat(adapter.stream(chat, { key: 'k', signal: writer.signal }), writer, () => ({ session_id: 'sess-1' })).then((o) => outcomes.push(o));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});

after(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  await egress.close();
  await fake.close();
});

function reset(a?: ProviderAdapter): void {
  fake.mode = { kind: 'ok' };
  fake.tokens = ['Hel', 'lo', ' wor', 'ld'];
  fake.chunkDelayMs = 0;
  fake.aborted = 0;
  outcomes = [];
  adapter = a ?? openaiAdapter(egress, fake.origin, { maxLineChars: 1 << 16 });
}

function get(path = '/chat'): Promise<{ headers: IncomingHttpHeaders; text: string }> {
  return new Promise((resolve, reject) => {
    httpRequest({ host: '127.0.0.1', port, path, method: 'POST' }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ headers: res.headers, text }));
    })
      .on('error', reject)
      .end();
  });
}

function frames(text: string): Array<{ event?: string; data: string }> {
  return text
    .split('\n\n')
    .filter((b) => b.trim() !== '' && !b.startsWith(':'))
    .map((block) => {
      const lines = block.split('\n');
      const event = lines.find((l) => l.startsWith('event: '))?.slice(7);
      const data = lines.filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
      return event ? { event, data } : { data };
    });
}

for (const [name, make] of [
  ['openai', () => openaiAdapter(egress, fake.origin, { maxLineChars: 1 << 16 })],
  ['anthropic', () => anthropicAdapter(egress, fake.origin, { maxLineChars: 1 << 16 })],
  ['ollama', () => ollamaAdapter(egress, fake.origin, { maxLineChars: 1 << 16 })],
] as const) {
  test(`${name}: SSE delta frames concatenate to the final done frame's content`, async () => {
    reset(make());
    const { headers, text } = await get();
    assert.match(String(headers['content-type']), /^text\/event-stream/);
    assert.equal(headers['cache-control'], 'no-cache, no-transform');
    assert.equal(headers['x-accel-buffering'], 'no');
    const parsed = frames(text).map((f) => JSON.parse(f.data) as Record<string, unknown>);
    const deltas = parsed.filter((f) => 'delta' in f).map((f) => f['delta']);
    const done = parsed.at(-1);
    assert.deepEqual(deltas, ['Hel', 'lo', ' wor', 'ld']);
    assert.deepEqual(done, { session_id: 'sess-1', done: true, content: 'Hello world' });
  });
}

test('heartbeat comments are sent while the upstream is slow', async () => {
  reset();
  fake.chunkDelayMs = 150;
  const { text } = await get();
  assert.ok(text.includes(': ping\n\n'));
  assert.ok(text.includes('"done":true'));
});

test('a client disconnect aborts the upstream request', async () => {
  reset();
  fake.tokens = Array.from({ length: 100 }, (_, i) => `t${i} `);
  fake.chunkDelayMs = 100;
  await new Promise<void>((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: '/chat', method: 'POST' }, (res) => {
      res.once('data', () => {
        req.destroy();
        resolve();
      });
    });
    req.on('error', () => {});
    req.on('timeout', () => reject(new Error('timeout')));
    req.end();
  });
  await fake.waitForAbort();
  for (let i = 0; i < 200 && outcomes.length === 0; i++) await new Promise((r) => setTimeout(r, 25));
  assert.equal(outcomes[0]?.ok, false);
  assert.ok(outcomes[0] && !outcomes[0].ok && outcomes[0].clientGone);
});

test('an upstream failure mid-stream ends with an event: error frame and no done marker', async () => {
  reset();
  fake.mode = { kind: 'fail-mid-stream' };
  const { text } = await get();
  const list = frames(text);
  assert.deepEqual(list.slice(0, 2).map((f) => JSON.parse(f.data)), [{ delta: 'Hel' }, { delta: 'lo' }]);
  const last = list.at(-1);
  assert.equal(last?.event, 'error');
  assert.match(String(JSON.parse(last?.data ?? '{}').code), /^PRV_ERR_(UPSTREAM_NETWORK|BAD_RESPONSE)$/);
  assert.ok(!text.includes('"done":true'));
});

test('an upstream 500 before the stream starts becomes an error frame without the upstream text', async () => {
  reset();
  fake.mode = { kind: 'status', status: 500 };
  const { text } = await get();
  assert.ok(!text.includes(SECRET_ERROR_TEXT));
  const list = frames(text);
  assert.equal(list.length, 1);
  assert.equal(list[0]?.event, 'error');
  assert.equal(JSON.parse(list[0]?.data ?? '{}').code, 'PRV_ERR_UPSTREAM_SERVER');
});

test('the official openai npm client completes a streamed and a non-streamed request', async () => {
  reset();
  const client = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: 'palisade-token', maxRetries: 0 });
  const stream = await client.chat.completions.create({ model: 'test-model', messages: [{ role: 'user', content: 'hi' }], stream: true });
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
  assert.equal(text, 'Hello world');
  const full = await client.chat.completions.create({ model: 'test-model', messages: [{ role: 'user', content: 'hi' }] });
  assert.equal(full.choices[0]?.message.content, 'Hello world');
});

test('the official openai client raises an error when the stream fails midway (no [DONE])', async () => {
  reset();
  fake.mode = { kind: 'fail-mid-stream' };
  const client = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: 'palisade-token', maxRetries: 0 });
  const stream = await client.chat.completions.create({ model: 'test-model', messages: [{ role: 'user', content: 'hi' }], stream: true });
  await assert.rejects(async () => {
    for await (const _ of stream) void _;
  });
});
