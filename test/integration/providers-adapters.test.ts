import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { ProviderAdapter } from '../../providers/adapters/adapter.ts';
import { collect } from '../../providers/adapters/adapter.ts';
import { anthropicAdapter } from '../../providers/adapters/anthropic.ts';
import { ollamaAdapter } from '../../providers/adapters/ollama.ts';
import { openaiAdapter } from '../../providers/adapters/openai.ts';
import { createEgress, type Egress } from '../../providers/egress/dispatcher.ts';
import { ProviderError } from '../../providers/errors.ts';
import type { ChatEvent, ChatRequest } from '../../providers/types.ts';
import { SECRET_ERROR_TEXT, startFakeProvider, type FakeProvider } from '../support/fake-provider.ts';

const request: ChatRequest = {
  model: 'test-model',
  messages: [
    { role: 'system', content: 'be brief' },
    { role: 'user', content: 'say hello' },
  ],
};
const KEY = 'sk-test-key-0123456789';

let fake: FakeProvider;
let egress: Egress;

before(async () => {
  fake = await startFakeProvider();
  egress = createEgress({ allowlist: [fake.origin], timeoutMs: 20_000, maxResponseBytes: 2 * 1024 * 1024 });
});
after(async () => {
  await egress.close();
  await fake.close();
});

function reset(): void {
  fake.mode = { kind: 'ok' };
  fake.tokens = ['Hel', 'lo', ' wor', 'ld'];
  fake.chunkDelayMs = 0;
  fake.aborted = 0;
}

function expectCode(code: string) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof ProviderError, `not a ProviderError: ${String(error)}`);
    assert.equal(error.code, code);
    assert.ok(!error.message.includes(SECRET_ERROR_TEXT) && !error.logSummary.includes(SECRET_ERROR_TEXT), 'upstream text leaked');
    return true;
  };
}

const wires: Array<{ name: string; make: (e: Egress, maxLine?: number) => ProviderAdapter; path: string }> = [
  { name: 'openai', make: (e, m = 256 * 1024) => openaiAdapter(e, fake.origin, { maxLineChars: m }), path: '/v1/chat/completions' },
  { name: 'openrouter (openai wire under /api)', make: (e, m = 256 * 1024) => openaiAdapter(e, `${fake.origin}/api`, { maxLineChars: m }), path: '/api/v1/chat/completions' },
  { name: 'anthropic', make: (e, m = 256 * 1024) => anthropicAdapter(e, fake.origin, { maxLineChars: m }), path: '/v1/messages' },
  { name: 'ollama', make: (e, m = 256 * 1024) => ollamaAdapter(e, fake.origin, { maxLineChars: m }), path: '/api/chat' },
];

for (const wire of wires) {
  describe(`${wire.name} adapter against the fake provider`, () => {
    test('streamed deltas concatenate to the final content', async () => {
      reset();
      const deltas: string[] = [];
      let done: Extract<ChatEvent, { type: 'done' }> | undefined;
      for await (const event of wire.make(egress).stream(request, { key: KEY })) {
        if (event.type === 'delta') deltas.push(event.text);
        else if (event.type === 'done') done = event;
      }
      assert.deepEqual(deltas, ['Hel', 'lo', ' wor', 'ld']);
      assert.equal(done?.content, 'Hello world');
      assert.equal(deltas.join(''), done?.content);
      const got = fake.received.at(-1);
      assert.equal(got?.path, wire.path);
      const sent = JSON.parse(got?.body ?? '{}') as Record<string, unknown>;
      assert.equal(sent['model'], 'test-model');
      assert.equal(sent['stream'], true);
      if (wire.name === 'anthropic') {
        assert.equal(got?.headers['x-api-key'], KEY);
        assert.equal(sent['system'], 'be brief');
      } else if (wire.name !== 'ollama') {
        assert.equal(got?.headers['authorization'], `Bearer ${KEY}`);
      }
    });

    test('non-streamed complete returns the content', async () => {
      reset();
      const result = await wire.make(egress).complete(request, { key: KEY });
      assert.equal(result.content, 'Hello world');
      assert.equal(JSON.parse(fake.received.at(-1)?.body ?? '{}')['stream'], false);
    });

    test('aborting the signal aborts the upstream request (the provider sees the disconnect)', async () => {
      reset();
      fake.tokens = Array.from({ length: 50 }, (_, i) => `t${i} `);
      fake.chunkDelayMs = 200;
      const controller = new AbortController();
      const deltas: string[] = [];
      await assert.rejects(
        (async () => {
          for await (const event of wire.make(egress).stream(request, { key: KEY, signal: controller.signal })) {
            if (event.type === 'delta') {
              deltas.push(event.text);
              controller.abort();
            }
          }
        })(),
        expectCode('PRV_ERR_ABORTED'),
      );
      assert.equal(deltas.length, 1);
      await fake.waitForAbort();
    });

    test('breaking out of the stream also closes the upstream request', async () => {
      reset();
      fake.tokens = Array.from({ length: 50 }, (_, i) => `t${i} `);
      fake.chunkDelayMs = 200;
      for await (const event of wire.make(egress).stream(request, { key: KEY })) {
        if (event.type === 'delta') break;
      }
      await fake.waitForAbort();
    });

    test('a connection dropped mid-stream ends in an error after the first deltas', async () => {
      reset();
      fake.mode = { kind: 'fail-mid-stream' };
      const deltas: string[] = [];
      await assert.rejects(
        (async () => {
          for await (const event of wire.make(egress).stream(request, { key: KEY })) if (event.type === 'delta') deltas.push(event.text);
        })(),
        (error: unknown) => error instanceof ProviderError && ['PRV_ERR_UPSTREAM_NETWORK', 'PRV_ERR_BAD_RESPONSE'].includes(error.code),
      );
      assert.deepEqual(deltas, ['Hel', 'lo']);
    });

    test('an in-band error frame becomes PRV_ERR_UPSTREAM_SERVER without the upstream text', async () => {
      reset();
      fake.mode = { kind: 'error-event' };
      await assert.rejects(collect(wire.make(egress).stream(request, { key: KEY }), 'm'), expectCode('PRV_ERR_UPSTREAM_SERVER'));
    });

    test('upstream statuses are classified by number only and their bodies are not echoed', async () => {
      const cases: Array<[number, string]> = [
        [401, 'PRV_ERR_UPSTREAM_AUTH'],
        [403, 'PRV_ERR_UPSTREAM_AUTH'],
        [429, 'PRV_ERR_UPSTREAM_RATE_LIMITED'],
        [400, 'PRV_ERR_UPSTREAM_CLIENT'],
        [404, 'PRV_ERR_UPSTREAM_CLIENT'],
        [500, 'PRV_ERR_UPSTREAM_SERVER'],
        [503, 'PRV_ERR_UPSTREAM_SERVER'],
      ];
      for (const [status, code] of cases) {
        reset();
        fake.mode = { kind: 'status', status };
        await assert.rejects(collect(wire.make(egress).stream(request, { key: KEY }), 'm'), expectCode(code));
        await assert.rejects(wire.make(egress).complete(request, { key: KEY }), expectCode(code));
      }
    });

    test('a response over the size cap is cut off with PRV_ERR_RESPONSE_TOO_LARGE', async () => {
      reset();
      fake.mode = { kind: 'huge' };
      await assert.rejects(collect(wire.make(egress).stream(request, { key: KEY }), 'm'), expectCode('PRV_ERR_RESPONSE_TOO_LARGE'));
      await fake.waitForAbort();
    });

    test('a single line over the line cap is refused', async () => {
      reset();
      fake.tokens = ['x'.repeat(5000)];
      await assert.rejects(collect(wire.make(egress, 1000).stream(request, { key: KEY }), 'm'), expectCode('PRV_ERR_RESPONSE_TOO_LARGE'));
    });
  });
}

test('a hanging provider is cut off by the total time cap with PRV_ERR_UPSTREAM_TIMEOUT', async () => {
  reset();
  fake.mode = { kind: 'hang' };
  const quick = createEgress({ allowlist: [fake.origin], timeoutMs: 1_000, maxResponseBytes: 1 << 20 });
  try {
    await assert.rejects(openaiAdapter(quick, fake.origin, { maxLineChars: 1 << 16 }).complete(request, { key: KEY }), expectCode('PRV_ERR_UPSTREAM_TIMEOUT'));
    await fake.waitForAbort();
  } finally {
    reset();
    await quick.close();
  }
});

test('a slow stream that stays under the time cap completes', async () => {
  reset();
  fake.chunkDelayMs = 100;
  const result = await collect(anthropicAdapter(egress, fake.origin, { maxLineChars: 1 << 16 }).stream(request, { key: KEY }), 'm');
  assert.equal(result.content, 'Hello world');
  assert.deepEqual(result.usage, { inputTokens: 3, outputTokens: 4 });
});
