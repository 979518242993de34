import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../support/gateway.ts';

function start(env: Record<string, string>): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, ['agent-gateway/main.ts'], {
    env: { PATH: process.env['PATH'] ?? '', PALISADE_DATA_DIR: tempDir(), PALISADE_PORT: '0', ...env },
    encoding: 'utf8', timeout: 60_000,
  });
  return { status: r.status, stderr: r.stderr };
}

test('bad configuration stops the start (exit 2) listing every problem', () => {
  const r = start({ PALISADE_PORT: 'eighty', PALISADE_SANDBOX_BACKEND: 'vm', PALISADE_NOPE: '1' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /PALISADE_PORT/);
  assert.match(r.stderr, /PALISADE_SANDBOX_BACKEND/);
  assert.match(r.stderr, /PALISADE_NOPE: unknown/);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
});

test('an invalid tool manifest stops the start (exit 2) naming the file and the problem', () => {
  const tools = tempDir('palisade-tools-');
  mkdirSync(join(tools, 'bad.tool'));
  writeFileSync(join(tools, 'bad.tool', 'manifest.json'), JSON.stringify({ name: 'bad.tool', description: 'x', risk: 'extreme' }));
  writeFileSync(join(tools, 'bad.tool', 'handler.js'), 'return 1;');
  const r = start({ PALISADE_TOOLS_DIR: tools, PALISADE_SANDBOX_BACKEND: 'isolate' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /cannot start: invalid tool manifests/);
  assert.match(r.stderr, /bad\.tool[/\\]manifest\.json/);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
});
