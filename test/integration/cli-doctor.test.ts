import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { tempDir } from '../support/gateway.ts';
import { runCli } from '../unit/cli/spawn-cli.ts';

describe('palisade doctor', () => {
  const dirs: string[] = [];
  const fresh = (): string => {
    const d = tempDir('palisade-cli-doctor-');
    dirs.push(d);
    return d;
  };
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  // Docker is made unreachable on purpose so the result does not depend on this machine's daemon.
  const noDocker = { DOCKER_HOST: 'unix:///nonexistent/palisade-doctor.sock' };

  test('passes on a fresh temp data dir: node, config, the isolate host runs echo; docker missing is only a warning', async () => {
    const dataDir = fresh();
    const r = await runCli(['doctor'], { env: { PALISADE_DATA_DIR: dataDir, ...noDocker } });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^ok\s+node\s+Node v24\./m);
    assert.match(r.stdout, /^ok\s+config\s/m);
    assert.match(r.stdout, /^ok\s+isolate\s+isolate host started and ran echo/m);
    assert.match(r.stdout, /^warn\s+docker\s+Docker daemon not reachable/m);
    assert.match(r.stdout, /^ok\s+data dir\s/m);
    assert.match(r.stdout, /^warn\s+audit key\s/m);
    assert.match(r.stdout, /^doctor: ok/m);
  });

  test('fails (exit 1) when PALISADE_SANDBOX_BACKEND=docker and the daemon is unreachable, with a fix line', async () => {
    const r = await runCli(['doctor'], { env: { PALISADE_DATA_DIR: fresh(), PALISADE_SANDBOX_BACKEND: 'docker', ...noDocker } });
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stdout, /^FAIL\s+docker\s/m);
    assert.match(r.stdout, /^\s+fix: start dockerd/m);
  });

  test('fails (exit 1) on group/world-readable state and names the chmod that fixes it', async () => {
    const dataDir = fresh();
    chmodSync(dataDir, 0o755);
    writeFileSync(join(dataDir, 'palisade.db'), '');
    chmodSync(join(dataDir, 'palisade.db'), 0o644);
    const r = await runCli(['doctor'], { env: { PALISADE_DATA_DIR: dataDir, ...noDocker } });
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stdout, /^FAIL\s+data dir\s.*mode 0755.*palisade\.db is mode 0644/m);
    assert.ok(r.stdout.includes(`fix: chmod 700 ${dataDir} && chmod 600 ${join(dataDir, 'palisade.db')}`), r.stdout);
  });

  test('fails when an audit log exists but neither PALISADE_AUDIT_KEY nor audit.key does', async () => {
    const dataDir = fresh();
    mkdirSync(join(dataDir, 'audit'), { mode: 0o700 });
    writeFileSync(join(dataDir, 'audit', 'audit.jsonl'), '', { mode: 0o600 });
    const r = await runCli(['doctor'], { env: { PALISADE_DATA_DIR: dataDir, ...noDocker } });
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stdout, /^FAIL\s+audit key\s/m);
    assert.match(r.stdout, /fix: set PALISADE_AUDIT_KEY or restore/);
    const withKey = await runCli(['doctor'], { env: { PALISADE_DATA_DIR: dataDir, PALISADE_AUDIT_KEY: 'ab'.repeat(32), ...noDocker } });
    assert.equal(withKey.code, 0, withKey.stdout);
    assert.match(withKey.stdout, /^ok\s+audit key\s+PALISADE_AUDIT_KEY is set/m);
  });

  test('invalid configuration exits 2, lists the problem, and still runs the other checks', async () => {
    const r = await runCli(['doctor'], { env: { PALISADE_DATA_DIR: fresh(), PALISADE_PORT: 'eighty', PALISADE_NOPE: '1', ...noDocker } });
    assert.equal(r.code, 2, r.stdout);
    assert.match(r.stdout, /^FAIL\s+config\s.*PALISADE_PORT: must be an integer/m);
    assert.match(r.stdout, /^FAIL\s+config\s.*PALISADE_NOPE: unknown/m);
    assert.match(r.stdout, /^ok\s+isolate\s/m);
  });
});
