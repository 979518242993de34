import { test } from 'node:test';
import assert from 'node:assert/strict';
import { providerConfigFromEnv } from '../../../providers/config.ts';
import { planFailover } from '../../../providers/failover.ts';
import { parseChatRequest } from '../../../providers/types.ts';
import { upstreamStatusCode } from '../../../providers/errors.ts';

function config(env: Record<string, string>) {
  const out = providerConfigFromEnv(env);
  assert.ok(out.ok, out.ok ? '' : out.problems.join('\n'));
  return out.config;
}

test('defaults: official endpoints, each inside the default allowlist, ollama local and the rest cloud', () => {
  const c = config({});
  assert.equal(c.endpoints.openai.baseUrl, 'https://api.openai.com');
  assert.equal(c.endpoints.openrouter.baseUrl, 'https://openrouter.ai/api');
  assert.equal(c.endpoints.ollama.baseUrl, 'http://127.0.0.1:11434');
  assert.equal(c.endpoints.ollama.locality, 'local');
  assert.equal(c.endpoints.anthropic.locality, 'cloud');
  assert.deepEqual(c.failoverOrder, []);
  assert.ok(Object.isFrozen(c));
});

test('a base URL outside the allowlist stops the start with every problem listed', () => {
  const out = providerConfigFromEnv({
    PALISADE_PROVIDER_ALLOWLIST: 'https://api.openai.com',
    PALISADE_OPENAI_BASE_URL: 'https://evil.example',
    PALISADE_PROVIDER_FAILOVER: 'openai,nope',
    PALISADE_PROVIDER_TIMEOUT_MS: 'abc',
  });
  assert.equal(out.ok, false);
  if (!out.ok) {
    assert.ok(out.problems.some((p) => p.includes('PALISADE_OPENAI_BASE_URL')));
    // issue 18.2: a provider left at its default URL outside the allowlist is disabled, not a start-stopping problem
    assert.equal(out.problems.some((p) => p.includes('PALISADE_ANTHROPIC_BASE_URL')), false);
    assert.ok(out.problems.some((p) => p.includes('nope')));
    assert.ok(out.problems.some((p) => p.includes('PALISADE_PROVIDER_TIMEOUT_MS')));
  }
});

test('failover never moves from a local provider to a cloud one unless configured', () => {
  const env = { PALISADE_PROVIDER_FAILOVER: 'openai,anthropic,ollama' };
  assert.deepEqual(planFailover('ollama', config(env)), ['ollama']);
  assert.deepEqual(planFailover('ollama', config({ ...env, PALISADE_PROVIDER_FAILOVER_LOCAL_TO_CLOUD: 'true' })), ['ollama', 'openai', 'anthropic']);
  assert.deepEqual(planFailover('openai', config(env)), ['openai', 'anthropic', 'ollama']);
});

test('without a failover list a call stays on the requested provider', () => {
  assert.deepEqual(planFailover('anthropic', config({})), ['anthropic']);
});

test('upstream statuses map to error codes by number', () => {
  assert.equal(upstreamStatusCode(401), 'PRV_ERR_UPSTREAM_AUTH');
  assert.equal(upstreamStatusCode(429), 'PRV_ERR_UPSTREAM_RATE_LIMITED');
  assert.equal(upstreamStatusCode(422), 'PRV_ERR_UPSTREAM_CLIENT');
  assert.equal(upstreamStatusCode(502), 'PRV_ERR_UPSTREAM_SERVER');
  assert.equal(upstreamStatusCode(307), 'PRV_ERR_REDIRECT_REFUSED');
});

test('parseChatRequest rebuilds a valid request and drops unknown fields', () => {
  const out = parseChatRequest({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi', extra: 1 }], max_tokens: 10, evil: true });
  assert.ok(out.ok);
  if (out.ok) assert.deepEqual(out.request, { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], maxTokens: 10 });
});

test('parseChatRequest refuses bad roles, oversized content, odd model names and out-of-range numbers', () => {
  const bad = [
    null,
    { model: 'm', messages: [] },
    { model: 'm', messages: [{ role: 'tool', content: 'x' }] },
    { model: 'm', messages: [{ role: 'user', content: 'x'.repeat(70_000) }] },
    { model: '../../etc', messages: [{ role: 'user', content: 'x' }] },
    { model: 'm', messages: [{ role: 'user', content: 'x' }], temperature: 9 },
    { model: 'm', messages: [{ role: 'user', content: 'x' }], max_tokens: 0 },
  ];
  for (const input of bad) assert.equal(parseChatRequest(input).ok, false, JSON.stringify(input)?.slice(0, 80));
});
