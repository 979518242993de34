/**
 * PALISADE_MCP_SERVERS_FILE (issue 16 item 1), the checks: the file's shape with every problem
 * listed and named by entry and field, the same per-server checks as POST /admin/mcp-servers,
 * duplicate names, the file's mode (writable by others refused; env values readable by others
 * refused), the frozen result, and the drift between a stored registration and its declaration.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDeclaredServers, parseDeclaredServers } from '../../../agent-gateway/upstream/declared.ts';
import { GATEWAY_NODE_MODULES } from '../../../agent-gateway/upstream/open.ts';
import { declarationDrift } from '../../../agent-gateway/upstream/provision.ts';
import type { ServerRecord } from '../../../agent-gateway/upstream/store.ts';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'mcp-servers');
const root = mkdtempSync(path.join(tmpdir(), 'palisade-declared-'));
const dataDir = path.join(root, 'data');
const share = path.join(root, 'share');
mkdirSync(dataDir);
mkdirSync(share);
const ctx = { builtinNames: ['echo', 'js.eval'], dataDir, roots: [GATEWAY_NODE_MODULES, FIXTURES] };
const FX = { name: 'fx', package: 'palisade-fixture-echo', version: '1.0.0' };
const text = (v: unknown): string => JSON.stringify(v);

test('a valid file: each entry planned as a registration would be, the result deep-frozen', () => {
  const r = parseDeclaredServers(text({ servers: [{ ...FX, args: ['--a'], env: { API_TOKEN: 't' }, mounts: [{ host_path: share, container_path: '/data' }], overrides: { 'fx.echo': { risk: 'high' } } }] }), ctx);
  assert.ok(r.ok, JSON.stringify(r));
  const [d] = r.servers;
  assert.deepEqual(d!.plan.record, {
    name: 'fx', package: 'palisade-fixture-echo', version: '1.0.0', args: ['--a'], envNames: ['API_TOKEN'],
    mounts: [{ host_path: share, container_path: '/data', read_only: true }], network: 'none',
  });
  assert.deepEqual(d!.plan.env, { API_TOKEN: 't' });
  assert.ok(Object.isFrozen(r.servers) && Object.isFrozen(d!.body) && Object.isFrozen(d!.body.overrides) && Object.isFrozen(d!.plan.record.mounts[0]));
  assert.deepEqual(parseDeclaredServers(text({ servers: [] }), ctx), { ok: true, servers: [] });
});

test('shape problems are all listed, each naming where', () => {
  const r = parseDeclaredServers(text({ servers: [{ name: 'fx', package: 'p' }, { ...FX, extra: 1 }, { ...FX, name: 'Bad' }], more: true }), ctx);
  assert.ok(!r.ok);
  assert.deepEqual([...r.problems].sort(), [
    'PALISADE_MCP_SERVERS_FILE: /: unknown key "more"',
    'PALISADE_MCP_SERVERS_FILE: /servers/0: required key "version" is missing',
    'PALISADE_MCP_SERVERS_FILE: /servers/1: unknown key "extra"',
    'PALISADE_MCP_SERVERS_FILE: /servers/2/name: must match pattern "^[a-z][a-z0-9_-]{0,31}$"',
  ]);
  assert.match((parseDeclaredServers('{"servers": [', ctx) as { problems: readonly string[] }).problems[0]!, /^PALISADE_MCP_SERVERS_FILE: not valid JSON/);
  assert.deepEqual(parseDeclaredServers(text({}), ctx), { ok: false, problems: ['PALISADE_MCP_SERVERS_FILE: /: required key "servers" is missing'] });
});

test('the registration checks, per entry, every problem listed: duplicate, package, proxy env, mount, env name, built-in namespace, override tag', () => {
  const r = parseDeclaredServers(text({
    servers: [
      FX, FX,
      { name: 'nope', package: 'not-installed-anywhere', version: '1.0.0' },
      { ...FX, name: 'net', network: 'egress-allowlist', env: { HTTPS_PROXY: 'http://elsewhere:3128' } },
      { ...FX, name: 'mnt', mounts: [{ host_path: dataDir, container_path: '/d' }] },
      { ...FX, name: 'envy', env: { LD_PRELOAD: '/x' } },
      { ...FX, name: 'js' },
      { ...FX, name: 'tags', overrides: { echo: { tags: ['root'] } } },
    ],
  }), ctx);
  assert.ok(!r.ok);
  assert.equal(r.problems.length, 7, r.problems.join('\n'));
  assert.equal(r.problems[0], 'PALISADE_MCP_SERVERS_FILE: /servers/1 ("fx"): the name is declared twice');
  assert.match(r.problems[1]!, /^PALISADE_MCP_SERVERS_FILE: \/servers\/2 \("nope"\): .*not-installed-anywhere/);
  assert.equal(r.problems[2], 'PALISADE_MCP_SERVERS_FILE: /servers/3 ("net"): env name "HTTPS_PROXY" is not allowed');
  assert.equal(r.problems[3], 'PALISADE_MCP_SERVERS_FILE: /servers/4 ("mnt"): mounts/0: host_path overlaps the gateway\'s data directory');
  assert.equal(r.problems[4], 'PALISADE_MCP_SERVERS_FILE: /servers/5 ("envy"): env name "LD_PRELOAD" is not allowed');
  assert.equal(r.problems[5], 'PALISADE_MCP_SERVERS_FILE: /servers/6 ("js"): "js" is the namespace of a built-in tool');
  assert.match(r.problems[6]!, /^PALISADE_MCP_SERVERS_FILE: \/servers\/7 \("tags"\): overrides\/"echo"\/tags\/0: unknown tag "root"; known tags: /);
});

test('network "egress-allowlist" is accepted and kept in the plan (issue 16 item 2)', () => {
  const r = parseDeclaredServers(text({ servers: [{ ...FX, name: 'web', network: 'egress-allowlist' }, { ...FX, name: 'quiet' }] }), ctx);
  assert.ok(r.ok, r.ok ? '' : r.problems.join('\n'));
  assert.deepEqual(r.servers.map((d) => d.plan.record.network), ['egress-allowlist', 'none']);
});

test('the file itself: missing, a folder, writable by others, env values readable by others', () => {
  const file = path.join(root, 'servers.json');
  const only = (r: ReturnType<typeof loadDeclaredServers>): string => (r.ok ? 'ok' : r.problems.join('\n'));
  assert.equal(only(loadDeclaredServers(path.join(root, 'absent.json'), ctx)), `PALISADE_MCP_SERVERS_FILE: ${path.join(root, 'absent.json')} does not exist or cannot be read`);
  assert.equal(only(loadDeclaredServers(share, ctx)), `PALISADE_MCP_SERVERS_FILE: ${share} is not a regular file`);
  writeFileSync(file, text({ servers: [{ ...FX, env: { API_TOKEN: 'secret' } }] }));
  chmodSync(file, 0o620);
  assert.equal(only(loadDeclaredServers(file, ctx)), `PALISADE_MCP_SERVERS_FILE: ${file} is writable by group or others (chmod go-w it)`);
  chmodSync(file, 0o602);
  assert.match(only(loadDeclaredServers(file, ctx)), /writable by group or others/);
  chmodSync(file, 0o644);
  assert.equal(only(loadDeclaredServers(file, ctx)), 'PALISADE_MCP_SERVERS_FILE: /servers/0 ("fx"): env values in a file readable by group or others (chmod 600 it)');
  chmodSync(file, 0o600);
  assert.equal(only(loadDeclaredServers(file, ctx)), 'ok');
  writeFileSync(file, text({ servers: [FX] }));
  chmodSync(file, 0o644);
  assert.equal(only(loadDeclaredServers(file, ctx)), 'ok', 'without env values a readable file is fine');
  writeFileSync(file, ' '.repeat(1024 * 1024 + 1));
  assert.match(only(loadDeclaredServers(file, ctx)), /is larger than 1048576 bytes/);
});

test('declarationDrift names each field that differs; env values compared, never shown; {} overrides are no overrides', () => {
  const r = parseDeclaredServers(text({ servers: [{ ...FX, args: ['--a'], env: { API_TOKEN: 't' }, overrides: { echo: { risk: 'high' }, wipe: {} } }] }), ctx);
  assert.ok(r.ok);
  const d = r.servers[0]!;
  const stored: ServerRecord = { ...d.plan.record, createdBy: 'admin:admin', createdAt: 0 };
  const ov = new Map([['echo', { risk: 'high' as const }]]);
  assert.deepEqual(declarationDrift(stored, { API_TOKEN: 't' }, ov, d), []);
  assert.deepEqual(declarationDrift({ ...stored, version: '0.9.0', package: 'other' }, { API_TOKEN: 't' }, ov, d), ['package', 'version']);
  assert.deepEqual(declarationDrift({ ...stored, args: [] }, { API_TOKEN: 'changed' }, new Map(), d), ['args', 'env', 'overrides']);
  assert.deepEqual(declarationDrift({ ...stored, mounts: [{ host_path: share, container_path: '/x', read_only: true }] }, { API_TOKEN: 't' }, ov, d), ['mounts']);
});
