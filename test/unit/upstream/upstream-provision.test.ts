/**
 * The servers file applied at start (provision.ts) over a real sqlite store: a changed declaration
 * is audited before it applies (a failing sink leaves the stored server as it was), pins are kept
 * and overrides replaced whole; an unchanged one writes nothing; a declared server not stored is
 * registered, retried after a failure that may pass and given up after a refusal, each failure
 * alerted; a stored one or a closing gateway is never registered.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Alert } from '../../../agent-gateway/alerts/types.ts';
import { gwError } from '../../../agent-gateway/errors.ts';
import type { EventSink, SecurityEvent } from '../../../agent-gateway/events.ts';
import { silentLogger } from '../../../agent-gateway/logger.ts';
import { openDatabase } from '../../../agent-gateway/store/db.ts';
import { GATEWAY_NODE_MODULES, parseDeclaredServers, type DeclaredServer } from '../../../agent-gateway/upstream/declared.ts';
import { definitionSha256, toDefinition } from '../../../agent-gateway/upstream/pin.ts';
import { registerDeclared, updateDeclared } from '../../../agent-gateway/upstream/provision.ts';
import { UPSTREAM_MIGRATIONS, UpstreamStore } from '../../../agent-gateway/upstream/store.ts';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'mcp-servers');
const FX = { name: 'fx', package: 'palisade-fixture-echo', version: '1.0.0' };

function setup(failing = false) {
  const dir = mkdtempSync(path.join(tmpdir(), 'palisade-provision-'));
  mkdirSync(path.join(dir, 'data'));
  const store = new UpstreamStore(openDatabase(path.join(dir, 'data'), UPSTREAM_MIGRATIONS), randomBytes(32));
  const events: SecurityEvent[] = [];
  const alerts: Alert[] = [];
  const sink: EventSink = { record: async (e) => { if (failing) throw new Error('disk full (injected)'); events.push(e); } };
  const deps = { store, events: sink, logger: silentLogger, raise: (a: Alert) => alerts.push(a), now: () => 1_000 };
  const declare = (servers: unknown[]): readonly DeclaredServer[] => {
    const r = parseDeclaredServers(JSON.stringify({ servers }), { builtinNames: [], dataDir: path.join(dir, 'data'), roots: [GATEWAY_NODE_MODULES, FIXTURES] });
    assert.ok(r.ok, JSON.stringify(r));
    return r.servers;
  };
  return { store, events, alerts, deps, declare };
}

const echo = toDefinition({ name: 'echo', inputSchema: { type: 'object' } })!;
const pin = { tool: 'echo', sha256: definitionSha256(echo), definition: echo };

test('a changed declaration: audited mcp_server.update (actor config, field names, no env value), pins kept, overrides replaced whole; unchanged: nothing', async () => {
  const { store, events, deps, declare } = setup();
  const [first] = declare([{ ...FX, env: { API_TOKEN: 'old' } }]);
  store.insert({ ...first!.plan.record, createdBy: 'admin:admin', createdAt: 5 }, first!.plan.env, [pin], 5, new Map([['wipe', { risk: 'low' as const }]]));

  await updateDeclared(declare([{ ...FX, env: { API_TOKEN: 'old' }, overrides: { wipe: { risk: 'low' } } }]), deps);
  assert.equal(events.length, 0, 'the same declaration writes nothing');

  await updateDeclared(declare([{ ...FX, args: ['--x'], env: { API_TOKEN: 'S3CRET-new' }, overrides: { echo: { tags: ['reads:secret'] } } }]), deps);
  assert.equal(events.length, 1);
  assert.deepEqual({ type: events[0]!.type, actor: events[0]!.actor, fields: events[0]!.data?.['fields'] }, { type: 'mcp_server.update', actor: 'config', fields: ['args', 'env', 'overrides'] });
  assert.ok(!JSON.stringify(events).includes('S3CRET'), 'env values are never audited');
  assert.deepEqual(store.get('fx')!.args, ['--x']);
  assert.equal(store.get('fx')!.createdBy, 'admin:admin', 'creation kept');
  assert.deepEqual(store.env('fx'), { API_TOKEN: 'S3CRET-new' });
  assert.deepEqual([...store.pins('fx').keys()], ['echo'], 'pins kept');
  assert.deepEqual([...store.overrides('fx')], [['echo', { tags: ['reads:secret'] }]], 'overrides replaced whole');
});

test('audit-or-refuse: a failing sink leaves the stored server as it was', async () => {
  const { store, deps, declare } = setup(true);
  const [first] = declare([FX]);
  store.insert({ ...first!.plan.record, createdBy: 'admin:admin', createdAt: 5 }, {}, [pin], 5);
  await updateDeclared(declare([{ ...FX, args: ['--x'], overrides: { echo: { risk: 'high' } } }]), deps);
  assert.deepEqual(store.get('fx')!.args, []);
  assert.equal(store.overrides('fx').size, 0);
});

test('registerDeclared: a failure that may pass is retried and alerted; a refusal is given up, critical; stored or closing: never called', async () => {
  const { store, alerts, deps, declare } = setup();
  const servers = declare([FX, { ...FX, name: 'refused' }, { ...FX, name: 'stored' }]);
  const stored = servers[2]!;
  store.insert({ ...stored.plan.record, createdBy: 'admin:admin', createdAt: 5 }, {}, [], 5);
  const calls: string[] = [];
  const register = async (d: DeclaredServer): Promise<void> => {
    calls.push(d.body.name);
    if (d.body.name === 'refused') throw gwError('GW_ERR_VALIDATION', 'overrides/"nope": the server lists no tool of that name');
    if (calls.filter((c) => c === 'fx').length === 1) throw gwError('GW_ERR_UPSTREAM_START', 'did not answer tools/list');
  };
  await registerDeclared(servers, deps, register, new AbortController().signal);
  assert.deepEqual(calls.sort(), ['fx', 'fx', 'refused']);
  const byServer = Object.fromEntries(alerts.map((a) => [a.details['server'], a]));
  assert.equal(alerts.length, 2);
  assert.deepEqual([byServer['fx']!.type, byServer['fx']!.severity, byServer['fx']!.details['code']], ['upstream.crashed', 'warning', 'GW_ERR_UPSTREAM_START']);
  assert.match(byServer['fx']!.message, /declared in PALISADE_MCP_SERVERS_FILE did not start \(GW_ERR_UPSTREAM_START: did not answer tools\/list\); retrying in 1 s$/);
  assert.deepEqual([byServer['refused']!.severity, byServer['refused']!.details['code']], ['critical', 'GW_ERR_VALIDATION']);
  assert.match(byServer['refused']!.message, /was refused \(GW_ERR_VALIDATION: /);

  const closing = new AbortController();
  closing.abort();
  const none: string[] = [];
  await registerDeclared(declare([{ ...FX, name: 'late' }]), deps, async (d) => { none.push(d.body.name); }, closing.signal);
  assert.deepEqual(none, []);
});
