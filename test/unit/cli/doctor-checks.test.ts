import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { after, test } from 'node:test';
import { parseConfig } from '../../../agent-gateway/config.ts';
import { checkAuditKey, checkConfig, checkDataDir, checkNodeVersion } from '../../../scripts/cli/doctor-checks.ts';
import { dockerChecks } from '../../../scripts/cli/doctor-probes.ts';

const dirs: string[] = [];
const fresh = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'palisade-doctor-unit-'));
  dirs.push(d);
  return d;
};
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test('node version: 24 and newer pass, older fail with a fix', () => {
  assert.equal(checkNodeVersion('v24.21.0').status, 'ok');
  assert.equal(checkNodeVersion('v25.0.0').status, 'ok');
  const old = checkNodeVersion('v20.20.2');
  assert.equal(old.status, 'fail');
  assert.match(old.fix ?? '', /npm ci/);
  assert.equal(checkNodeVersion('garbage').status, 'fail');
});

test('config: problems fail, a non-loopback host warns', () => {
  assert.equal(checkConfig(parseConfig({ PALISADE_DATA_DIR: '/tmp/x' })).status, 'ok');
  assert.equal(checkConfig(parseConfig({ PALISADE_PORT: 'x' })).status, 'fail');
  assert.equal(checkConfig(parseConfig({ PALISADE_HOST: '0.0.0.0' })).status, 'warn');
});

test('data dir: missing warns, private passes, open modes and symlinks fail with the chmod to run', () => {
  assert.equal(checkDataDir(join(tmpdir(), 'palisade-does-not-exist-xyz')).status, 'warn');
  const ok = fresh();
  mkdirSync(join(ok, 'audit'), { mode: 0o700 });
  writeFileSync(join(ok, 'audit.key'), '{}', { mode: 0o600 });
  assert.equal(checkDataDir(ok).status, 'ok');

  const bad = fresh();
  mkdirSync(join(bad, 'audit'), { mode: 0o700 });
  chmodSync(join(bad, 'audit'), 0o750);
  writeFileSync(join(bad, 'audit-signing.key'), 'k');
  chmodSync(join(bad, 'audit-signing.key'), 0o640);
  const c = checkDataDir(bad);
  assert.equal(c.status, 'fail');
  assert.match(c.detail, /audit is mode 0750/);
  assert.match(c.detail, /audit-signing\.key is mode 0640/);
  assert.equal(c.fix?.startsWith(`chmod 700 ${join(bad, 'audit')} && chmod 600 ${join(bad, 'audit-signing.key')}`), true, c.fix);

  const link = fresh();
  writeFileSync(join(link, 'elsewhere'), 'x', { mode: 0o600 });
  symlinkSync(join(link, 'elsewhere'), join(link, 'audit.key'));
  const l = checkDataDir(link);
  assert.equal(l.status, 'fail');
  assert.match(l.detail, /audit\.key is a symlink/);
});

test('audit key: config key or key file pass; a log without a key fails; nothing yet warns', () => {
  const d = fresh();
  assert.equal(checkAuditKey(d, false).status, 'warn');
  assert.equal(checkAuditKey(d, true).status, 'ok');
  mkdirSync(join(d, 'audit'));
  writeFileSync(join(d, 'audit', 'audit.jsonl'), '');
  assert.equal(checkAuditKey(d, false).status, 'fail');
  writeFileSync(join(d, 'audit.key'), '{}');
  assert.equal(checkAuditKey(d, false).status, 'ok');
});

test('docker: unreachable warns unless docker is required; seccomp must be reported by daemon and kernel', () => {
  const down = { reachable: false, detail: 'ENOENT', securityOptions: [] };
  assert.equal(dockerChecks(down, false, true)[0]?.status, 'warn');
  assert.equal(dockerChecks(down, true, true)[0]?.status, 'fail');
  const up = { reachable: true, detail: 'Docker 28', securityOptions: ['name=apparmor', 'name=seccomp,profile=default'] };
  assert.deepEqual(dockerChecks(up, true, true).map((c) => c.status), ['ok', 'ok']);
  assert.deepEqual(dockerChecks(up, true, false).map((c) => c.status), ['ok', 'fail']);
  const noSeccomp = { ...up, securityOptions: ['name=apparmor'] };
  assert.deepEqual(dockerChecks(noSeccomp, false, true).map((c) => c.status), ['ok', 'warn']);
  assert.deepEqual(dockerChecks(noSeccomp, true, true).map((c) => c.status), ['ok', 'fail']);
  assert.equal(dockerChecks({ ...up, securityOptions: ['name=seccompish'] }, true, true)[1]?.status, 'fail');
});
