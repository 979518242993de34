/**
 * Admin overrides of an upstream tool's risk, tags and approval (issue 16 item 3: "Risk and tags
 * default from annotations unless the admin overrides them"), black box over HTTP: a real gateway,
 * real Docker, the fixture server under test/fixtures/mcp-servers. Overrides are validated (unknown
 * tags refused with the known list, unknown tools named, before a container is left behind), in
 * force everywhere a built-in's manifest is (the admin view, GET /tools, the policy default, taint
 * rules), audited (audit-or-refuse: a failing sink → 503 and nothing changes), kept across a
 * restart and removed with the server.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';
import type { EventSink } from '../../agent-gateway/events.ts';
import { call, createAgent, loginAdmin, startGateway, type TestGateway } from '../support/gateway.ts';
import { eventually } from '../support/mcp-client.ts';
import { dockerSkipReason } from '../support/docker-env.ts';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'mcp-servers');
const FX = { name: 'fxo', package: 'palisade-fixture-echo', version: '1.0.0' };
const KNOWN_TAGS = 'exec:code, net:egress, reads:private, reads:public, reads:secret, writes:external, writes:local';
const skip = await dockerSkipReason();
const docker = new Docker();

const containersOf = async (server: string): Promise<number> =>
  (await docker.listContainers({ filters: { label: [`palisade.mcp-server=${server}`, `palisade.supervisor-pid=${process.pid}`] } })).length;

type ToolView = { name: string; risk?: string; tags?: string[]; requires_approval?: boolean; override: unknown };

describe('admin overrides of upstream tools: risk, tags, approval', { skip, timeout: 240_000 }, () => {
  let gw: TestGateway;
  let admin: string;
  let agent: string;
  let failing = false;
  const wrap = (real: EventSink): EventSink => ({
    record: (event) => (failing && String(event.type).startsWith('mcp_server.') ? Promise.reject(new Error('disk full (injected)')) : real.record(event)),
  });
  const start = (dataDir?: string): Promise<TestGateway> =>
    startGateway({ env: { PALISADE_MCP_SERVERS_DIR: FIXTURES }, wrapEvents: wrap, ...(dataDir === undefined ? {} : { dataDir }) });
  const register = (body: unknown) => call(gw.url, 'POST', '/admin/mcp-servers', { token: admin, body });
  const pin = (body: unknown) => call(gw.url, 'POST', `/admin/mcp-servers/${FX.name}/pin`, { token: admin, body });
  const views = async (): Promise<Record<string, ToolView>> => {
    const res = await call(gw.url, 'GET', `/admin/mcp-servers/${FX.name}`, { token: admin });
    assert.equal(res.status, 200, res.text);
    return Object.fromEntries((res.body.tools as ToolView[]).map((t) => [t.name, t]));
  };
  const run = (tool: string, args: unknown) => call(gw.url, 'POST', '/tools/call', { token: agent, body: { tool, args } });
  const audited = async (event: string): Promise<Array<{ data: Record<string, unknown> }>> =>
    (await call(gw.url, 'GET', `/admin/audit?event=${event}&limit=100`, { token: admin })).body.entries;

  before(async () => {
    gw = await start();
    admin = (await loginAdmin(gw.url)).token;
  });
  after(() => gw?.stop(true));

  test('registration refuses overrides it cannot honour: unknown tag (with the known list), unknown tool (with its tools), one tool named twice, a bad risk; nothing stored, no container left', async () => {
    const cases: Array<[unknown, RegExp | undefined]> = [
      [{ echo: { tags: ['reads:everything'] } }, new RegExp(`overrides/"echo"/tags/0: unknown tag "reads:everything"; known tags: ${KNOWN_TAGS}$`)],
      [{ nope: { risk: 'low' } }, /overrides\/"nope": the server "fxo" lists no tool of that name; its tools: echo, notes, hidden, wipe, flood, connect$/],
      [{ echo: { risk: 'high' }, 'fxo.echo': { risk: 'low' } }, /the tool "echo" is named twice/],
      [{ echo: { risk: 'critical' } }, undefined],
      [{ echo: { approval: true } }, undefined],
    ];
    for (const [overrides, message] of cases) {
      const res = await register({ ...FX, overrides });
      assert.equal(res.status, 422, `${JSON.stringify(overrides)} → ${res.text}`);
      assert.equal(res.body.code, 'GW_ERR_VALIDATION');
      if (message !== undefined) assert.match(res.body.detail, message);
      assert.equal(await containersOf(FX.name), 0, `no container left after ${JSON.stringify(overrides)}`);
    }
    assert.equal((await call(gw.url, 'GET', '/admin/mcp-servers', { token: admin })).body.servers.length, 0);
    assert.equal((await audited('mcp_server.register')).length, 0);
  });

  test('overrides given at registration are in force: the view, GET /tools, the policy default and taint rules; the audit line carries them', async () => {
    const overrides = {
      echo: { risk: 'high' },
      'fxo.wipe': { risk: 'medium', requires_approval: false },
      notes: { tags: ['reads:secret'] },
      flood: { tags: ['writes:external', 'net:egress'] },
    };
    const res = await register({ ...FX, overrides });
    assert.equal(res.status, 201, res.text);
    const v = await views();
    assert.deepEqual(
      { risk: v['fxo.echo']!.risk, tags: v['fxo.echo']!.tags, approval: v['fxo.echo']!.requires_approval, override: v['fxo.echo']!.override },
      { risk: 'high', tags: ['reads:private'], approval: false, override: { risk: 'high' } },
    );
    assert.deepEqual(
      { risk: v['fxo.wipe']!.risk, tags: v['fxo.wipe']!.tags, approval: v['fxo.wipe']!.requires_approval, override: v['fxo.wipe']!.override },
      { risk: 'medium', tags: ['writes:local'], approval: false, override: { risk: 'medium', requires_approval: false } },
    );
    assert.deepEqual(v['fxo.flood']!.tags, ['net:egress', 'writes:external'], 'tags sorted');
    assert.deepEqual(
      { risk: v['fxo.hidden']!.risk, tags: v['fxo.hidden']!.tags, approval: v['fxo.hidden']!.requires_approval, override: v['fxo.hidden']!.override },
      { risk: 'low', tags: ['reads:private'], approval: false, override: null },
      'a tool without an override keeps the annotation defaults',
    );
    const line = (await audited('mcp_server.register'))[0]!;
    assert.deepEqual(line.data['overrides'], {
      echo: { risk: 'high' }, flood: { tags: ['net:egress', 'writes:external'] }, notes: { tags: ['reads:secret'] }, wipe: { risk: 'medium', requires_approval: false },
    });

    agent = await createAgent(gw.url, admin, 'overridden', ['fxo.*']);
    const listed = (await call(gw.url, 'GET', '/tools', { token: agent })).body.tools as ToolView[];
    const byName = Object.fromEntries(listed.map((t) => [t.name, t]));
    assert.equal(byName['fxo.echo']!.risk, 'high');
    assert.deepEqual(byName['fxo.notes']!.tags, ['reads:secret']);

    const echo = await run('fxo.echo', { text: 'x' });
    assert.equal(echo.status, 202, `risk high by override → the default policy asks for approval: ${echo.text}`);
    const wipe = await run('fxo.wipe', { target: 't' });
    assert.equal(wipe.status, 200, `destructive, but the admin lowered risk and approval: ${wipe.text}`);
    assert.deepEqual(wipe.body.result, { wiped: 't' });

    const policy = await call(gw.url, 'PUT', '/admin/policy', {
      token: admin, body: { rules: [], taint: [{ id: 'no-exfil', on: ['reads:secret'], block: ['writes:external'], window_seconds: 600 }] },
    });
    assert.equal(policy.status, 200, policy.text);
    assert.equal((await run('fxo.flood', { kib: 1 })).status, 200, 'before the secret read the external write runs');
    const read = await run('fxo.notes', { text: 'n' });
    assert.equal(read.status, 200, read.text);
    const denied = await run('fxo.flood', { kib: 1 });
    assert.equal(denied.status, 403, denied.text);
    assert.equal(denied.body.rule_id, 'no-exfil');
    assert.equal(denied.body.tainted_by, read.body.call_id);
  });

  test('pin: overrides need "tools"; tools [] changes the overrides only; {} restores the defaults; unknown tags refused; audited', async () => {
    const noTools = await pin({ overrides: { echo: {} } });
    assert.equal(noTools.status, 422, noTools.text);
    assert.equal(noTools.body.code, 'GW_ERR_VALIDATION');
    const badTag = await pin({ tools: [], overrides: { echo: { tags: ['root'] } } });
    assert.equal(badTag.status, 422, badTag.text);
    assert.match(badTag.body.detail, new RegExp(`unknown tag "root"; known tags: ${KNOWN_TAGS}$`));
    assert.equal((await audited('mcp_server.pin')).length, 0, 'refusals write no pin line');
    assert.equal((await views())['fxo.echo']!.risk, 'high', 'refusals change nothing');

    const ok = await pin({ tools: [], overrides: { 'fxo.echo': {}, hidden: { requires_approval: true } } });
    assert.equal(ok.status, 200, ok.text);
    const v = await views();
    assert.deepEqual([v['fxo.echo']!.risk, v['fxo.echo']!.override], ['low', null]);
    assert.deepEqual([v['fxo.hidden']!.requires_approval, v['fxo.hidden']!.override], [true, { requires_approval: true }]);
    assert.deepEqual(v['fxo.wipe']!.override, { risk: 'medium', requires_approval: false }, 'an override not named stays');
    const line = (await audited('mcp_server.pin'))[0]!;
    assert.deepEqual(line.data['pinned'], []);
    assert.deepEqual(line.data['overrides'], { echo: {}, hidden: { requires_approval: true } });
    assert.equal((await run('fxo.echo', { text: 'y' })).status, 200);
    assert.equal((await run('fxo.hidden', { a: 1 })).status, 202);
  });

  test('audit-or-refuse: with the audit sink failing, a pin with overrides answers 503 and nothing changes', async () => {
    const before = await views();
    failing = true;
    try {
      const res = await pin({ tools: [], overrides: { echo: { risk: 'high' }, hidden: {} } });
      assert.equal(res.status, 503, res.text);
      assert.equal(res.body.code, 'GW_ERR_AUDIT_UNAVAILABLE');
    } finally {
      failing = false;
    }
    assert.deepEqual(await views(), before);
    assert.equal((await run('fxo.echo', { text: 'z' })).status, 200, 'echo is still low risk');
  });

  test('a restart keeps the overrides; DELETE removes them with the server', async () => {
    const dataDir = gw.dataDir;
    await gw.stop();
    gw = await start(dataDir);
    await eventually(async () => ((await call(gw.url, 'GET', `/admin/mcp-servers/${FX.name}`, { token: admin })).body.status === 'running' ? true : undefined), 60_000, 'the stored server');
    const v = await views();
    assert.deepEqual([v['fxo.hidden']!.requires_approval, v['fxo.wipe']!.risk, v['fxo.notes']!.tags], [true, 'medium', ['reads:secret']]);

    assert.equal((await call(gw.url, 'DELETE', `/admin/mcp-servers/${FX.name}`, { token: admin })).status, 204);
    assert.equal((await register(FX)).status, 201);
    const fresh = await views();
    assert.ok(Object.values(fresh).every((t) => t.override === null), 'no override survives the deleted server');
    assert.deepEqual([fresh['fxo.wipe']!.risk, fresh['fxo.wipe']!.requires_approval], ['high', true]);
  });
});
