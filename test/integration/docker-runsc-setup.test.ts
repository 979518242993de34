/**
 * Issue 20: registering runsc with dockerd (and issue 16 item 2: runsc-egress, the same runsc plus
 * --host-uds=open for upstream MCP servers with network "egress-allowlist", never the main one). The daemon.json merge (scripts/lib/daemon-json-runsc.py)
 * on temporary files, and scripts/ensure-docker.sh's runsc step with fake `docker`, `runsc` and
 * `pgrep` first on PATH and a temporary daemon.json, so no real daemon or file is touched.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const MERGE = fileURLToPath(new URL('../../scripts/lib/daemon-json-runsc.py', import.meta.url));
const SCRIPT = fileURLToPath(new URL('../../scripts/ensure-docker.sh', import.meta.url));
const dir = mkdtempSync(path.join(os.tmpdir(), 'palisade-runsc-setup-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const WANT = { path: '/usr/bin/runsc', runtimeArgs: ['--platform=ptrace', '--network=none', '--oci-seccomp', '--overlay2=none'] };
const WANT_EGRESS = { path: '/usr/bin/runsc', runtimeArgs: [...WANT.runtimeArgs, '--host-uds=open'] };

function merge(file: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('python3', [MERGE, file, '/usr/bin/runsc'], { encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, stdout: r.stdout.trim(), stderr: r.stderr };
}

test('the merge keeps every other key and runtime, backs the old file up, and is idempotent', () => {
  const file = path.join(dir, 'merge', 'daemon.json');
  mkdirSync(path.dirname(file), { recursive: true });
  const before = { 'log-level': 'warn', 'registry-mirrors': ['http://127.0.0.1:5000'], runtimes: { kata: { path: '/opt/kata' }, runsc: { path: '/old/runsc' } } };
  writeFileSync(file, JSON.stringify(before));
  assert.deepEqual(merge(file), { status: 0, stdout: 'written', stderr: '' });
  const after1 = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  assert.deepEqual(after1, { ...before, runtimes: { kata: { path: '/opt/kata' }, runsc: WANT, 'runsc-egress': WANT_EGRESS } });
  assert.deepEqual(JSON.parse(readFileSync(`${file}.palisade-bak`, 'utf8')), before, 'the old file is kept as the backup');
  // second run: nothing written, the backup still holds the original
  assert.equal(merge(file).stdout, 'unchanged');
  assert.deepEqual(JSON.parse(readFileSync(`${file}.palisade-bak`, 'utf8')), before);
  assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), after1);
});

test('a missing daemon.json is created; one that is not a JSON object is refused and left untouched', () => {
  const fresh = path.join(dir, 'fresh', 'daemon.json');
  assert.equal(merge(fresh).stdout, 'written');
  assert.deepEqual(JSON.parse(readFileSync(fresh, 'utf8')), { runtimes: { runsc: WANT, 'runsc-egress': WANT_EGRESS } });
  assert.equal(existsSync(`${fresh}.palisade-bak`), false, 'nothing to back up');
  for (const [name, text] of [['array', '[1,2]'], ['broken', '{"runtimes": '], ['runtimes-string', '{"runtimes":"runsc"}']] as const) {
    const file = path.join(dir, `${name}.json`);
    writeFileSync(file, text);
    const r = merge(file);
    assert.equal(r.status, 2, `${name}: ${r.stdout} ${r.stderr}`);
    assert.equal(readFileSync(file, 'utf8'), text, `${name} left untouched`);
  }
});

test('a daemon.json with runsc right but no runsc-egress (an older merge) gets runsc-egress added, runsc unchanged', () => {
  const file = path.join(dir, 'older', 'daemon.json');
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify({ runtimes: { runsc: WANT } }));
  assert.equal(merge(file).stdout, 'written');
  const merged = JSON.parse(readFileSync(file, 'utf8')) as { runtimes: Record<string, { runtimeArgs: string[] }> };
  assert.deepEqual(merged.runtimes, { runsc: WANT, 'runsc-egress': WANT_EGRESS });
  assert.ok(!merged.runtimes['runsc']!.runtimeArgs.some((a) => a.startsWith('--host-uds')), 'the main runsc never gets --host-uds');
  assert.equal(merge(file).stdout, 'unchanged');
});

const RUNSC_ONLY = JSON.stringify({ runc: { path: 'runc' }, runsc: WANT });

/** fake tools: docker answers `info` with `runtimes` (default: runc only), runsc exists, pgrep finds no dockerd */
function fakeBin(runtimes = '{"runc":{"path":"runc"}}'): string {
  const bin = path.join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  const tools: Record<string, string> = {
    docker: `#!/bin/sh\nif [ "$1" = info ]; then echo '${runtimes}'; exit 0; fi\nexit 1\n`,
    runsc: '#!/bin/sh\nexit 0\n',
    pgrep: '#!/bin/sh\nexit 1\n',
  };
  for (const [name, body] of Object.entries(tools)) {
    writeFileSync(path.join(bin, name), body);
    chmodSync(path.join(bin, name), 0o755);
  }
  return bin;
}

function ensure(ci: string, runtimes?: string): { status: number | null; stderr: string; config: string } {
  const config = path.join(dir, `ensure-${ci}-${runtimes === undefined ? 'none' : 'runsc'}`, 'daemon.json');
  mkdirSync(path.dirname(config), { recursive: true });
  writeFileSync(config, '{"debug":false}');
  const r = spawnSync('bash', [SCRIPT], {
    encoding: 'utf8', input: '', timeout: 60_000,
    env: { ...process.env, PATH: `${fakeBin(runtimes)}:${process.env['PATH'] ?? ''}`, CI: ci, PALISADE_DOCKERD_CONFIG: config },
  });
  return { status: r.status, stderr: r.stderr, config };
}

test('ensure-docker.sh merges runsc into daemon.json, and with CI=true fails clearly when dockerd cannot be reloaded', () => {
  const r = ensure('true');
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /runsc in .*daemon\.json: written/);
  assert.match(r.stderr, /runsc \(gVisor\): no dockerd process to reload; CI=true needs it/);
  const merged = JSON.parse(readFileSync(r.config, 'utf8')) as { debug: boolean; runtimes: Record<string, { runtimeArgs: string[] }> };
  assert.equal(merged.debug, false, 'other keys kept');
  assert.deepEqual(merged.runtimes['runsc']!.runtimeArgs, WANT.runtimeArgs);
  assert.deepEqual(merged.runtimes['runsc-egress']!.runtimeArgs, WANT_EGRESS.runtimeArgs);
});

test('a daemon that lists runsc but not runsc-egress is not taken as set up: the merge runs', () => {
  const r = ensure('true', RUNSC_ONLY);
  assert.equal(r.status, 1, r.stderr);
  assert.doesNotMatch(r.stderr, /runtimes registered/);
  assert.match(r.stderr, /runsc in .*daemon\.json: written/);
});

test('a daemon that lists both as the merge writes them is set up: nothing merged, nothing reloaded', () => {
  const r = ensure('true', JSON.stringify({ runc: { path: 'runc' }, runsc: WANT, 'runsc-egress': WANT_EGRESS }));
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /runsc \(gVisor\) runtimes registered \(runsc, runsc-egress\)/);
  assert.equal(readFileSync(r.config, 'utf8'), '{"debug":false}', 'daemon.json untouched');
});

test('outside CI the same failure is a warning and the script succeeds (runc only)', () => {
  const r = ensure('false');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /warning: runsc \(gVisor\): no dockerd process to reload; the Docker workers will use runc only/);
});
