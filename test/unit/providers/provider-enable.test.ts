/**
 * Issue 18.2/18.3: which providers are enabled (allowlist, explicit base URLs, PALISADE_PROVIDERS)
 * and the base URL normalisation of a trailing /v1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideProvider, normalizeBaseUrl, providerConfigFromEnv } from '../../../providers/config.ts';
import { planFailover, requireEnabled } from '../../../providers/failover.ts';
import { ProviderError } from '../../../providers/errors.ts';
import { parseConfig } from '../../../agent-gateway/config.ts';

const LOCAL = 'http://127.0.0.1:18199';

function ok(env: Record<string, string>) {
  const out = providerConfigFromEnv(env);
  assert.ok(out.ok, out.ok ? '' : out.problems.join('\n'));
  return out;
}

test('a single-origin allowlist with an explicit OpenAI base URL starts; the other providers are disabled with a reason', () => {
  const out = ok({ PALISADE_PROVIDER_ALLOWLIST: LOCAL, PALISADE_OPENAI_BASE_URL: LOCAL });
  const e = out.config.endpoints;
  assert.equal(e.openai.enabled, true);
  assert.equal(e.openai.explicit, true);
  for (const n of ['anthropic', 'openrouter', 'ollama'] as const) {
    assert.equal(e[n].enabled, false, n);
    assert.match(e[n].disabledReason ?? '', /not in PALISADE_PROVIDER_ALLOWLIST/);
    assert.match(e[n].disabledReason ?? '', new RegExp(`PALISADE_${n.toUpperCase()}_BASE_URL`));
  }
  assert.equal(out.warnings.length, 3);
  assert.ok(out.warnings.every((w) => w.startsWith('provider ') && w.includes('disabled')));
});

test('an explicitly configured base URL outside the allowlist still stops the start', () => {
  const out = providerConfigFromEnv({ PALISADE_PROVIDER_ALLOWLIST: LOCAL, PALISADE_OPENAI_BASE_URL: 'http://127.0.0.1:18200' });
  assert.equal(out.ok, false);
  if (!out.ok) {
    assert.equal(out.problems.length, 1, out.problems.join('\n'));
    assert.match(out.problems[0] ?? '', /PALISADE_OPENAI_BASE_URL origin http:\/\/127\.0\.0\.1:18200 is not in PALISADE_PROVIDER_ALLOWLIST/);
  }
});

test('the gateway config passes the disable warnings through and accepts the single-origin set-up', () => {
  const r = parseConfig({ PALISADE_PROVIDER_ALLOWLIST: LOCAL, PALISADE_OPENAI_BASE_URL: LOCAL });
  assert.ok(r.ok, r.ok ? '' : r.problems.join('\n'));
  if (r.ok) assert.equal(r.warnings.filter((w) => w.includes('disabled')).length, 3);
});

test('PALISADE_PROVIDERS says it outright: unlisted providers are off, a listed one must pass the allowlist, unknown names stop the start', () => {
  const only = ok({ PALISADE_PROVIDERS: 'openai, Ollama' });
  assert.equal(only.config.endpoints.openai.enabled, true);
  assert.equal(only.config.endpoints.ollama.enabled, true);
  assert.equal(only.config.endpoints.anthropic.enabled, false);
  assert.equal(only.config.endpoints.anthropic.disabledReason, 'not listed in PALISADE_PROVIDERS');
  const listedOutside = providerConfigFromEnv({ PALISADE_PROVIDERS: 'anthropic', PALISADE_PROVIDER_ALLOWLIST: LOCAL });
  assert.equal(listedOutside.ok, false);
  if (!listedOutside.ok) assert.match(listedOutside.problems.join('\n'), /PALISADE_PROVIDERS lists anthropic/);
  const unknown = providerConfigFromEnv({ PALISADE_PROVIDERS: 'openai,skynet' });
  assert.equal(unknown.ok, false);
  if (!unknown.ok) assert.match(unknown.problems.join('\n'), /PALISADE_PROVIDERS: unknown provider "skynet"/);
  // an explicit URL of an unlisted provider is not checked (it is off)
  ok({ PALISADE_PROVIDERS: 'openai', PALISADE_ANTHROPIC_BASE_URL: 'http://127.0.0.1:9' });
});

test('decideProvider covers every branch', () => {
  const base = { name: 'openai' as const, origin: LOCAL };
  assert.deepEqual(decideProvider({ ...base, explicit: false, allowed: true, listed: undefined }), { ok: true, enabled: true });
  assert.equal(decideProvider({ ...base, explicit: true, allowed: false, listed: undefined }).ok, false);
  assert.equal(decideProvider({ ...base, explicit: false, allowed: false, listed: true }).ok, false);
  const off = decideProvider({ ...base, explicit: false, allowed: false, listed: undefined });
  assert.ok(off.ok && !off.enabled);
  const unlisted = decideProvider({ ...base, explicit: true, allowed: false, listed: false });
  assert.ok(unlisted.ok && !unlisted.enabled);
});

test('a disabled provider is refused and never appears in a failover plan', () => {
  const out = ok({ PALISADE_PROVIDERS: 'openai,ollama', PALISADE_PROVIDER_FAILOVER: 'openai,anthropic,ollama', PALISADE_PROVIDER_FAILOVER_LOCAL_TO_CLOUD: 'true' });
  assert.deepEqual(planFailover('openai', out.config), ['openai', 'ollama']);
  assert.ok(out.warnings.some((w) => w.includes('PALISADE_PROVIDER_FAILOVER: anthropic is disabled')));
  assert.throws(() => requireEnabled('anthropic', out.config), (e: unknown) => e instanceof ProviderError && e.code === 'PRV_ERR_PROVIDER_DISABLED');
  assert.doesNotThrow(() => requireEnabled('openai', out.config));
});

test('normalizeBaseUrl drops trailing slashes and one trailing /v1, nothing else', () => {
  assert.equal(normalizeBaseUrl('http://127.0.0.1:8000/v1'), 'http://127.0.0.1:8000');
  assert.equal(normalizeBaseUrl('http://127.0.0.1:8000/v1/'), 'http://127.0.0.1:8000');
  assert.equal(normalizeBaseUrl('http://127.0.0.1:8000/V1'), 'http://127.0.0.1:8000');
  assert.equal(normalizeBaseUrl('https://openrouter.ai/api/v1'), 'https://openrouter.ai/api');
  assert.equal(normalizeBaseUrl('http://127.0.0.1:8000/v10'), 'http://127.0.0.1:8000/v10');
  assert.equal(normalizeBaseUrl('http://127.0.0.1:8000/'), 'http://127.0.0.1:8000');
  const out = ok({ PALISADE_PROVIDER_ALLOWLIST: LOCAL, PALISADE_OPENAI_BASE_URL: `${LOCAL}/v1` });
  assert.equal(out.config.endpoints.openai.baseUrl, LOCAL);
});
