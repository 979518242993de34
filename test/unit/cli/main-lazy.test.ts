/**
 * Issue 18.12: the CLI loads only what a command needs (`agent list` must not load the
 * gateway, Express, the sandbox or the Docker client), the top-level help summaries match each
 * command's own, and the Node guard lives in the bin shim instead of package.json "engines"
 * (which made npm print EBADENGINE blocks under an older system Node).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TOP_SUMMARIES } from '../../../scripts/cli/main.ts';

const ROOT = new URL('../../../', import.meta.url).pathname;

test('top-level help summaries are the commands\' own', async () => {
  assert.equal(TOP_SUMMARIES.serve, (await import('../../../scripts/cli/serve.ts')).serve.summary);
  assert.equal(TOP_SUMMARIES.doctor, (await import('../../../scripts/cli/doctor.ts')).doctor.summary);
  assert.equal(TOP_SUMMARIES.mcp, (await import('../../../scripts/cli/mcp.ts')).mcp.summary);
});

test('`agent list` loads neither the gateway, Express, isolated-vm nor dockerode', () => {
  const script = `
    import { registerHooks } from 'node:module';
    const seen = [];
    registerHooks({ resolve(s, c, next) { const r = next(s, c); seen.push(r.url); return r; } });
    const { runCli } = await import(${JSON.stringify(join(ROOT, 'scripts/cli/main.ts'))});
    const code = await runCli(['agent', 'list'], { env: process.env, stdin: process.stdin, out: () => {}, err: (t) => process.stderr.write(t) });
    process.stdout.write(JSON.stringify({ code, seen }));`;
  const dataDir = mkdtempSync(join(tmpdir(), 'palisade-cli-lazy-'));
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { env: { PATH: process.env['PATH'] ?? '', PALISADE_DATA_DIR: dataDir }, encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { code: number; seen: string[] };
  assert.equal(out.code, 0, r.stderr);
  for (const heavy of ['/node_modules/express/', '/agent-gateway/gateway.ts', '/node_modules/isolated-vm/', '/node_modules/dockerode/', '/agent-gateway/app.ts', '/sandbox/isolate/', '/sandbox/docker/backend.ts']) {
    assert.equal(out.seen.some((u) => u.includes(heavy)), false, `${heavy} was loaded`);
  }
  assert.ok(out.seen.some((u) => u.endsWith('/scripts/cli/agent.ts')), 'the agent group itself was loaded');
});

test('package.json declares no "engines" (npm would warn EBADENGINE on every command under Node 20)', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;
  assert.equal(pkg['engines'], undefined);
  assert.match(readFileSync(join(ROOT, 'scripts/palisade.mjs'), 'utf8'), /major >= 24/);
});

const oldNode = ['/usr/bin/node', '/usr/local/bin/node'].find((p) => {
  if (!existsSync(p)) return false;
  const v = spawnSync(p, ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout.trim();
  return Number(v.split('.')[0]) < 24;
});

test('under an older Node the shim hands over to the pinned Node, or refuses with a fix line when there is none', { skip: oldNode === undefined ? 'no Node older than 24 on this machine' : false }, () => {
  const ok = spawnSync(oldNode as string, [join(ROOT, 'scripts/palisade.mjs'), '--version'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(ok.stdout, 'palisade 0.1.0\n');
  const bare = mkdtempSync(join(tmpdir(), 'palisade-shim-'));
  mkdirSync(join(bare, 'scripts'));
  copyFileSync(join(ROOT, 'scripts/palisade.mjs'), join(bare, 'scripts/palisade.mjs'));
  const refused = spawnSync(oldNode as string, [join(bare, 'scripts/palisade.mjs'), '--version'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(refused.status, 2);
  assert.match(refused.stderr, /is too old; Palisade needs Node 24 or newer\.\nRun "npm ci"/);
});
