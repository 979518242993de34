// The gateway runs with the same V8 flags however it is started (agent-gateway/node-flags.ts).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { GATEWAY_NODE_FLAGS } from '../../../agent-gateway/node-flags.ts';

test('npm start runs main.ts with exactly the gateway flags', () => {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> };
  assert.equal(pkg.scripts['start'], `node ${GATEWAY_NODE_FLAGS.join(' ')} agent-gateway/main.ts`);
});

test('each flag is one this Node accepts and caps the young generation (a process started with them reports it)', () => {
  assert.ok(GATEWAY_NODE_FLAGS.length > 0);
  const r = spawnSync(process.execPath, [...GATEWAY_NODE_FLAGS, '-e',
    'const v8 = require("node:v8"); let k = []; for (let i = 0; i < 4e6; i++) { k.push({ i }); if (k.length > 1e5) k = []; } '
    + 'process.stdout.write(String(v8.getHeapSpaceStatistics().find((s) => s.space_name === "new_space").space_size))'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.ok(Number(r.stdout) <= 2 * 16 * 2 ** 20, `new space ${r.stdout} bytes`);
});
