/**
 * Issue 18.7: the gateway checks PALISADE_DATA_DIR before opening any state and stops with
 * exit 2, the variable's name and a fix line — for a read-only dir, a subfolder of a read-only
 * dir, a subfolder of a file, and /proc/palisade-data (which used to hang: bounded here).
 * Read-only is a real read-only tmpfs mounted in a private mount namespace when running as root
 * (root ignores mode bits), else a 0500 folder.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { checkDataDir } from '../../agent-gateway/data-dir.ts';
import { tempDir } from '../support/gateway.ts';

const isRoot = process.getuid?.() === 0;
const canUnshare = isRoot && spawnSync('unshare', ['-m', 'sh', '-c', 'd=$(mktemp -d) && mount -t tmpfs -o ro,size=64k tmpfs "$d"'], { timeout: 10_000 }).status === 0;

function start(dataDir: string, roMount?: string): { status: number | null; signal: string | null; stderr: string; ms: number } {
  const env = { PATH: process.env['PATH'] ?? '', PALISADE_DATA_DIR: dataDir, PALISADE_PORT: '0', PALISADE_SANDBOX_BACKEND: 'isolate' };
  const t0 = Date.now();
  const r = roMount === undefined
    ? spawnSync(process.execPath, ['agent-gateway/main.ts'], { env, encoding: 'utf8', timeout: 30_000 })
    : spawnSync('unshare', ['-m', 'sh', '-c', 'mount -t tmpfs -o ro,size=64k tmpfs "$1" && shift && exec "$@"', 'sh', roMount, process.execPath, 'agent-gateway/main.ts'], { env, encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, signal: r.signal, stderr: r.stderr, ms: Date.now() - t0 };
}

function assertRefused(r: ReturnType<typeof start>, what: RegExp): void {
  assert.equal(r.signal, null, `ended by itself, not by the test's timeout (${r.ms} ms)`);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /palisade: cannot start: PALISADE_DATA_DIR=/);
  assert.match(r.stderr, what);
  assert.match(r.stderr, /\n {2}Fix: /);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
}

test('/proc/palisade-data is refused at once (it used to hang)', () => {
  const r = start('/proc/palisade-data');
  assertRefused(r, /pseudo-filesystem \(proc\)/);
  // a behavioural margin, not a speed check: the refusal comes in about a second, the old hang never ended
  assert.ok(r.ms < 20_000, `took ${r.ms} ms`);
});

test('a subfolder of a file is refused naming the file, not ENOENT', () => {
  const file = join(tempDir(), 'plain-file');
  writeFileSync(file, 'x');
  assertRefused(start(join(file, 'sub')), /is inside .*plain-file, which is a file, not a folder/);
  assertRefused(start(file), /is a file, not a folder/);
});

const roSkip = !isRoot || canUnshare ? false : 'running as root without mount namespaces: cannot make a folder read-only';
test('a read-only data dir, and a subfolder of one, are refused with the variable and a fix', { skip: roSkip }, () => {
  const dir = join(tempDir(), 'ro');
  mkdirSync(dir);
  if (!isRoot) chmodSync(dir, 0o500);
  try {
    const mount = isRoot ? dir : undefined;
    assertRefused(start(dir, mount), /is not writable \((EROFS: read-only filesystem|EACCES: permission denied)\)/);
    assertRefused(start(join(dir, 'sub', 'deeper'), mount), /does not exist and cannot be created in .*ro \((EROFS|EACCES)/);
  } finally {
    if (!isRoot) chmodSync(dir, 0o700);
  }
});

test('checkDataDir: creates a missing folder 0700 and accepts a writable one; refuses /sys paths without touching them', () => {
  const dir = join(tempDir(), 'a', 'b');
  assert.deepEqual(checkDataDir(dir), { ok: true, created: true });
  assert.deepEqual(checkDataDir(dir), { ok: true, created: false });
  const sys = checkDataDir('/sys/palisade');
  assert.ok(!sys.ok && sys.code === 'DATA_DIR_PSEUDO_FS');
});
