/**
 * scripts/ensure-docker.sh as a real bash process. The failure path uses fake `docker` and
 * `dockerd` commands placed first on PATH, so no real daemon is touched.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { dockerSkipReason } from '../support/docker-env.ts';

const SCRIPT = fileURLToPath(new URL('../../scripts/ensure-docker.sh', import.meta.url));
const dir = mkdtempSync(path.join(os.tmpdir(), 'palisade-ensure-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('exits non-zero with a clear message and the daemon log when dockerd cannot start', () => {
  const bin = path.join(dir, 'bin');
  spawnSync('mkdir', ['-p', bin]);
  writeFileSync(path.join(bin, 'docker'), '#!/bin/sh\necho "Cannot connect to the Docker daemon" >&2\nexit 1\n');
  writeFileSync(path.join(bin, 'dockerd'), '#!/bin/sh\necho "failed to start daemon: fake failure for the test" >&2\nexit 1\n');
  chmodSync(path.join(bin, 'docker'), 0o755);
  chmodSync(path.join(bin, 'dockerd'), 0o755);
  const log = path.join(dir, 'dockerd.log');
  const r = spawnSync('bash', [SCRIPT], {
    encoding: 'utf8',
    input: '',
    timeout: 60_000,
    env: { ...process.env, PATH: `${bin}:${process.env['PATH'] ?? ''}`, CI: 'true', PALISADE_DOCKERD_WAIT: '3', PALISADE_DOCKERD_LOG: log },
  });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /dockerd did not become reachable within 3s/);
});

test('succeeds at once, without starting anything, when the daemon is already reachable', async (t) => {
  const skip = await dockerSkipReason();
  if (skip !== undefined) return t.skip(skip);
  const r = spawnSync('bash', [SCRIPT], { encoding: 'utf8', input: '', timeout: 60_000, env: { ...process.env, CI: 'true' } });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /daemon already reachable/);
  assert.match(r.stderr, /runsc \(gVisor\) runtimes registered \(runsc, runsc-egress\)/, 'both gVisor runtimes (issue 20, issue 16 item 2)');
});
