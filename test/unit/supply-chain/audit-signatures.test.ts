import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { classify } from '../../../scripts/lib/audit-signatures.ts';

const REPO = resolve(dirname(import.meta.dirname), '..', '..');
const NPM_WARN = 'npm warn Unknown user config "nodedir". This will stop working in the next major version of npm.\n';

test('classifies an empty invalid/missing report with exit 0 as verified', () => {
  const c = classify('{\n  "invalid": [],\n  "missing": []\n}\n', NPM_WARN, 0);
  assert.equal(c.status, 'verified');
  assert.equal(c.exitCode, 0);
});

test('fails with exit 1 and names the package when npm reports an invalid registry signature', () => {
  const stdout = JSON.stringify({
    invalid: [{ code: 'EINTEGRITYSIGNATURE', name: 'left-pad', version: '1.3.0', registry: 'https://registry.npmjs.org/', message: 'left-pad@1.3.0 has an invalid registry signature' }],
    missing: [],
  }, null, 2);
  const c = classify(stdout, NPM_WARN, 1);
  assert.equal(c.status, 'invalid');
  assert.equal(c.exitCode, 1);
  assert.deepEqual(c.packages, ['left-pad@1.3.0']);
  assert.match(c.message, /INVALID/);
});

test('fails with exit 1 on an invalid attestation even when other packages only lack signatures', () => {
  const stdout = JSON.stringify({
    invalid: [{ code: 'EATTESTATIONVERIFY', name: 'b', version: '2.0.0' }],
    missing: [{ name: 'a', version: '1.0.0' }],
  });
  const c = classify(stdout, '', 1);
  assert.equal(c.status, 'invalid');
  assert.equal(c.exitCode, 1);
});

test('fails with exit 1 when a registry that publishes keys serves a package without a signature', () => {
  const c = classify(JSON.stringify({ invalid: [], missing: [{ name: 'a', version: '1.0.0' }] }), '', 1);
  assert.equal(c.status, 'missing');
  assert.equal(c.exitCode, 1);
  assert.deepEqual(c.packages, ['a@1.0.0']);
});

test('reports an unreachable registry or sigstore TUF host as unavailable with exit 0 (real npm ENOTFOUND output)', () => {
  const stdout = JSON.stringify({ error: { code: 'ENOTFOUND', summary: 'request to https://tuf-repo-cdn.sigstore.dev/15.root.json failed, reason: getaddrinfo ENOTFOUND tuf-repo-cdn.sigstore.dev', detail: 'This is a problem related to network connectivity.' } }, null, 2);
  const c = classify(stdout, `${NPM_WARN}npm error code ENOTFOUND\nnpm error network request failed\n`, 1);
  assert.equal(c.status, 'unavailable');
  assert.equal(c.exitCode, 0);
  assert.match(c.message, /NOT checked/);
});

test('reports a timeout (process killed, no exit status) as unavailable with exit 0', () => {
  assert.deepEqual([classify('', '', null).status, classify('', '', null).exitCode], ['unavailable', 0]);
});

test('reports a registry without signing keys as unsupported with exit 0', () => {
  const stdout = JSON.stringify({ error: { code: '', summary: 'found no dependencies to audit that were installed from a supported registry' } });
  const c = classify(stdout, '', 1);
  assert.equal(c.status, 'unsupported');
  assert.equal(c.exitCode, 0);
});

test('detects an invalid signature from npm human-readable output when no JSON is present', () => {
  const c = classify('audited 120 packages in 2s\n\n1 package has an invalid registry signature:\n\nleft-pad@1.3.0 (https://registry.npmjs.org/)\n', '', 1);
  assert.equal(c.status, 'invalid');
  assert.equal(c.exitCode, 1);
});

test('never passes output it cannot classify: exit 2', () => {
  for (const [out, err, code] of [['garbage', 'npm error code EUNKNOWN', 1], ['{"invalid":[],"missing":[]}', '', 1], ['', '', 3]] as const) {
    const c = classify(out, err, code);
    assert.equal(c.status, 'error');
    assert.equal(c.exitCode, 2);
  }
});

test('scripts/audit-signatures.sh runs npm audit signatures and prints a classified result line', () => {
  const r = spawnSync('bash', [join(REPO, 'scripts', 'audit-signatures.sh')], { cwd: REPO, encoding: 'utf8', timeout: 240_000 });
  assert.match(r.stdout, /^npm audit signatures: (VERIFIED|INVALID|MISSING|UNAVAILABLE|UNSUPPORTED|ERROR) — /m);
  const status = /^npm audit signatures: (\w+)/m.exec(r.stdout)?.[1];
  assert.equal(r.status, status === 'VERIFIED' || status === 'UNAVAILABLE' || status === 'UNSUPPORTED' ? 0 : status === 'ERROR' ? 2 : 1);
});
