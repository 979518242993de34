import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfig } from '../../../agent-gateway/config.ts';

test('defaults: 127.0.0.1:8080, ./data, auto backend, official provider origins, frozen', () => {
  const r = parseConfig({}, '/srv/p');
  assert.ok(r.ok);
  assert.equal(r.config.host, '127.0.0.1');
  assert.equal(r.config.port, 8080);
  assert.equal(r.config.dataDir, '/srv/p/data');
  assert.equal(r.config.sandboxBackend, 'auto');
  assert.equal(r.config.auth.pbkdf2Iterations, 600_000);
  assert.equal(r.config.limits.bodyBytes, 256 * 1024);
  assert.ok(r.config.providers.allowlist.includes('https://api.openai.com:443'));
  assert.ok(Object.isFrozen(r.config) && Object.isFrozen(r.config.limits) && Object.isFrozen(r.config.corsOrigins));
});

test('bad config lists every problem at once, including unknown PALISADE_* names', () => {
  const r = parseConfig({
    PALISADE_PORT: '99999', PALISADE_AUDIT_KEY: 'abc', PALISADE_SANDBOX_BACKEND: 'vm', PALISADE_CORS_ORIGINS: '*',
    PALISADE_DOCKER_MEMORY: 'lots', PALISADE_TYPO: '1', PALISADE_PBKDF2_ITERATIONS: '1000', PALISADE_LOG_LEVEL: 'loud',
    PALISADE_ADMIN_PASSWORD: 'short', PALISADE_DOCKER_CPUS: '-1', OTHER_VAR: 'ignored',
  });
  assert.equal(r.ok, false);
  if (r.ok) return;
  const joined = r.problems.join('\n');
  for (const name of ['PORT', 'AUDIT_KEY', 'SANDBOX_BACKEND', 'CORS_ORIGINS', 'DOCKER_MEMORY', 'TYPO', 'PBKDF2_ITERATIONS', 'LOG_LEVEL', 'ADMIN_PASSWORD', 'DOCKER_CPUS']) {
    assert.match(joined, new RegExp(`PALISADE_${name}`), name);
  }
  assert.ok(!joined.includes('OTHER_VAR'));
});

test('CORS origins are exact normalized origins; paths and credentials are refused', () => {
  const ok = parseConfig({ PALISADE_CORS_ORIGINS: 'chrome-extension://abcdef, https://Example.com' });
  assert.ok(ok.ok);
  assert.deepEqual(ok.config.corsOrigins, ['chrome-extension://abcdef', 'https://example.com']);
  const bad = parseConfig({ PALISADE_CORS_ORIGINS: 'https://u:p@example.com,ftp://x' });
  assert.equal(bad.ok, false);
});

test('a provider allowlist entry must be an http(s) origin', () => {
  const r = parseConfig({ PALISADE_PROVIDER_ALLOWLIST: 'https://api.openai.com,file:///etc/passwd' });
  assert.equal(r.ok, false);
});
