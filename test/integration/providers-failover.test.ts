import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { providerConfigFromEnv, type ProviderConfig } from '../../providers/config.ts';
import { ProviderError } from '../../providers/errors.ts';
import { completeWithFailover, streamWithFailover, type FailoverEvent } from '../../providers/failover.ts';
import { createProviderRegistry, type ProviderRegistry } from '../../providers/registry.ts';
import type { ChatRequest, ProviderName } from '../../providers/types.ts';
import { startFakeProvider, type FakeProvider } from '../support/fake-provider.ts';

const request: ChatRequest = { model: 'm', messages: [{ role: 'user', content: 'hi' }] };
let primary: FakeProvider;
let secondary: FakeProvider;
let config: ProviderConfig;
let registry: ProviderRegistry;

before(async () => {
  primary = await startFakeProvider();
  secondary = await startFakeProvider();
  const out = providerConfigFromEnv({
    PALISADE_PROVIDER_ALLOWLIST: `${primary.origin},${secondary.origin}`,
    PALISADE_OPENAI_BASE_URL: primary.origin,
    PALISADE_OPENROUTER_BASE_URL: `${secondary.origin}/api`,
    PALISADE_ANTHROPIC_BASE_URL: secondary.origin,
    PALISADE_OLLAMA_BASE_URL: secondary.origin,
    PALISADE_PROVIDER_FAILOVER: 'openrouter',
  });
  assert.ok(out.ok);
  config = out.config;
  registry = createProviderRegistry(config);
});
after(async () => {
  await registry.egress.close();
  await primary.close();
  await secondary.close();
});

const deps = (keys: Partial<Record<ProviderName, string>>) => ({
  config,
  registry,
  resolveKey: (name: ProviderName) => {
    if (name === 'ollama') return undefined;
    const key = keys[name];
    if (!key) throw new ProviderError('PRV_ERR_KEY_MISSING');
    return key;
  },
});

test('a 500 from the primary falls over to the configured next provider (non-stream)', async () => {
  primary.mode = { kind: 'status', status: 500 };
  const before = secondary.received.length;
  const out = await completeWithFailover('openai', request, deps({ openai: 'k1', openrouter: 'k2' }));
  assert.equal(out.provider, 'openrouter');
  assert.equal(out.result.content, 'Hello world');
  assert.equal(secondary.received.length, before + 1);
  assert.equal(secondary.received.at(-1)?.headers['authorization'], 'Bearer k2');
  primary.mode = { kind: 'ok' };
});

test('a stream falls over before its first delta and reports the provider that served it', async () => {
  primary.mode = { kind: 'status', status: 503 };
  const events: FailoverEvent[] = [];
  for await (const e of streamWithFailover('openai', request, deps({ openai: 'k1', openrouter: 'k2' }))) events.push(e);
  assert.deepEqual(events[0], { type: 'provider', provider: 'openrouter' });
  assert.equal(events.at(-1)?.type, 'done');
  primary.mode = { kind: 'ok' };
});

test('a client error (400) is not retried elsewhere', async () => {
  primary.mode = { kind: 'status', status: 400 };
  const before = secondary.received.length;
  await assert.rejects(completeWithFailover('openai', request, deps({ openai: 'k1', openrouter: 'k2' })), (e: unknown) => e instanceof ProviderError && e.code === 'PRV_ERR_UPSTREAM_CLIENT');
  assert.equal(secondary.received.length, before);
  primary.mode = { kind: 'ok' };
});

test('a failure after the first delta is surfaced, not spliced with another provider', async () => {
  primary.mode = { kind: 'fail-mid-stream' };
  const before = secondary.received.length;
  await assert.rejects(async () => {
    for await (const _ of streamWithFailover('openai', request, deps({ openai: 'k1', openrouter: 'k2' }))) void _;
  });
  assert.equal(secondary.received.length, before);
  primary.mode = { kind: 'ok' };
});

test('a missing key on the primary falls over; with no candidate left the last error is thrown', async () => {
  const out = await completeWithFailover('openai', request, deps({ openrouter: 'k2' }));
  assert.equal(out.provider, 'openrouter');
  await assert.rejects(completeWithFailover('openai', request, deps({})), (e: unknown) => e instanceof ProviderError && e.code === 'PRV_ERR_KEY_MISSING');
});
