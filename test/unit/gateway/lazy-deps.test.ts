// Issue 12 item 5: importing the gateway loads no package for a feature that is not in use at
// start. Docker (dockerode), the MCP server SDK (/mcp) and the MCP client SDK (upstream servers)
// are loaded on first use; a child process imports gateway.ts and lists every package it loaded.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const GATEWAY = fileURLToPath(new URL('../../../agent-gateway/gateway.ts', import.meta.url));
const PROBE = `
import module from 'node:module';
const seen = new Set();
module.registerHooks({ load(url, context, next) { const m = /node_modules\\/((?:@[^/]+\\/)?[^/]+)/.exec(url); if (m) seen.add(m[1]); return next(url, context); } });
await import(${JSON.stringify(GATEWAY)});
process.stdout.write(JSON.stringify([...seen]));
`;

test('importing gateway.ts loads neither dockerode nor the MCP SDKs (they load on first use)', () => {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', PROBE], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  const loaded = new Set(JSON.parse(r.stdout) as string[]);
  assert.ok(loaded.has('express'), 'the probe sees packages (express is loaded)');
  for (const lazy of ['dockerode', '@modelcontextprotocol/client', '@modelcontextprotocol/server', '@modelcontextprotocol/node']) {
    assert.equal(loaded.has(lazy), false, `${lazy} was loaded at import`);
  }
});
