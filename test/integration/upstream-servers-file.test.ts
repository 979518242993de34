/**
 * PALISADE_MCP_SERVERS_FILE (issue 16 item 1: "a config file option so a restart brings them
 * back"), black box: a real gateway, real Docker, the fixture server. A declared server is
 * registered at start (pinned, audited as actor `config`, its overrides in force); a changed
 * declaration updates the stored one at the next start (audited `mcp_server.update` with the
 * fields, pins kept); an unchanged one writes nothing; one deleted through the API comes back; a
 * bad file stops the start with every problem listed.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { call, loginAdmin, startGateway, tempDir, type TestGateway } from '../support/gateway.ts';
import { eventually } from '../support/mcp-client.ts';
import { dockerSkipReason } from '../support/docker-env.ts';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'mcp-servers');
const FX = { name: 'fxf', package: 'palisade-fixture-echo', version: '1.0.0' };
const skip = await dockerSkipReason();

type ToolView = { name: string; state: string; pinned_sha256: string | null; risk?: string; requires_approval?: boolean; override: unknown };

describe('upstream MCP servers declared in PALISADE_MCP_SERVERS_FILE', { skip, timeout: 240_000 }, () => {
  const dir = tempDir('palisade-servers-file-');
  const file = path.join(dir, 'servers.json');
  const dataDir = path.join(dir, 'data');
  let gw: TestGateway | undefined;
  let admin: string;
  const declare = (servers: unknown[]): void => {
    writeFileSync(file, JSON.stringify({ servers }));
    chmodSync(file, 0o600);
  };
  const start = async (): Promise<TestGateway> => {
    await gw?.stop();
    gw = await startGateway({ dataDir, env: { PALISADE_MCP_SERVERS_DIR: FIXTURES, PALISADE_MCP_SERVERS_FILE: file } });
    admin = (await loginAdmin(gw.url)).token;
    return gw;
  };
  const running = async (g: TestGateway): Promise<{ body: any }> => eventually(async () => {
    const r = await call(g.url, 'GET', `/admin/mcp-servers/${FX.name}`, { token: admin });
    return r.status === 200 && r.body.status === 'running' ? r : undefined;
  }, 60_000, 'the declared server running');
  const audited = async (g: TestGateway, event: string): Promise<Array<{ actor: string; data: Record<string, unknown> }>> =>
    (await call(g.url, 'GET', `/admin/audit?event=${event}&limit=100`, { token: admin })).body.entries;
  const tools = (view: { body: any }): Record<string, ToolView> => Object.fromEntries((view.body.tools as ToolView[]).map((t) => [t.name, t]));

  before(() => declare([{ ...FX, env: { FIXTURE_NOTE: 'v1' }, overrides: { echo: { risk: 'high' } } }]));
  after(async () => {
    await gw?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a declared server is registered at start: pinned, audited as config, its overrides in force, env values not shown', async () => {
    const g = await start();
    const view = await running(g);
    assert.equal(view.body.created_by, 'config');
    assert.deepEqual(view.body.env, ['FIXTURE_NOTE']);
    const t = tools(view);
    assert.ok(Object.values(t).every((x) => x.state === 'enabled' && x.pinned_sha256 !== null), JSON.stringify(t));
    assert.deepEqual([t['fxf.echo']!.risk, t['fxf.echo']!.override], ['high', { risk: 'high' }]);
    const reg = await audited(g, 'mcp_server.register');
    assert.equal(reg.length, 1);
    assert.equal(reg[0]!.actor, 'config');
    assert.ok(!JSON.stringify(reg).includes('v1'), 'env values are never audited');
  });

  test('a changed declaration updates the stored server at the next start, audited with the fields; pins kept; unchanged: no line', async () => {
    const pinsBefore = Object.fromEntries(Object.entries(tools(await running(gw!))).map(([k, v]) => [k, v.pinned_sha256]));
    declare([{ ...FX, args: ['--quiet'], env: { FIXTURE_NOTE: 'v2' }, overrides: { wipe: { risk: 'medium', requires_approval: false } } }]);
    let g = await start();
    let view = await running(g);
    assert.deepEqual(view.body.args, ['--quiet']);
    const t = tools(view);
    assert.deepEqual([t['fxf.echo']!.risk, t['fxf.echo']!.override], ['low', null], 'overrides replaced whole by the declaration');
    assert.deepEqual([t['fxf.wipe']!.risk, t['fxf.wipe']!.requires_approval], ['medium', false]);
    assert.deepEqual(Object.fromEntries(Object.entries(t).map(([k, v]) => [k, v.pinned_sha256])), pinsBefore, 'the file never re-pins');
    const upd = await audited(g, 'mcp_server.update');
    assert.equal(upd.length, 1);
    assert.equal(upd[0]!.actor, 'config');
    assert.deepEqual(upd[0]!.data['fields'], ['args', 'env', 'overrides']);
    assert.ok(!JSON.stringify(upd).includes('v2'), 'env values are never audited');

    g = await start();
    view = await running(g);
    assert.equal((await audited(g, 'mcp_server.update')).length, 1, 'the same declaration again writes no update');
    assert.equal((await audited(g, 'mcp_server.register')).length, 1);
  });

  test('a declared server deleted through the API comes back at the next start', async () => {
    assert.equal((await call(gw!.url, 'DELETE', `/admin/mcp-servers/${FX.name}`, { token: admin })).status, 204);
    const g = await start();
    const view = await running(g);
    assert.equal(view.body.created_by, 'config');
    assert.equal((await audited(g, 'mcp_server.register')).length, 2);
  });

  test('a bad file stops the start (a bad config: nothing started) with every problem listed', async () => {
    await gw?.stop();
    gw = undefined;
    const env = { PALISADE_MCP_SERVERS_DIR: FIXTURES, PALISADE_MCP_SERVERS_FILE: file };
    declare([{ ...FX, extra: 1 }, { name: 'other', package: 'not-installed-anywhere' }]);
    await assert.rejects(startGateway({ dataDir, env }), (error: Error) => {
      assert.match(error.message, /PALISADE_MCP_SERVERS_FILE: \/servers\/0: unknown key "extra"/);
      assert.match(error.message, /PALISADE_MCP_SERVERS_FILE: \/servers\/1: required key "version" is missing/);
      return true;
    });
    declare([FX, { name: 'other', package: 'not-installed-anywhere', version: '1.0.0' }, { ...FX, name: 'net', network: 'egress-allowlist', env: { HTTP_PROXY: 'http://x:1' } }]);
    await assert.rejects(startGateway({ dataDir, env }), (error: Error) => {
      assert.match(error.message, /PALISADE_MCP_SERVERS_FILE: \/servers\/1 \("other"\): .*not-installed-anywhere/);
      assert.match(error.message, /PALISADE_MCP_SERVERS_FILE: \/servers\/2 \("net"\): env name "HTTP_PROXY" is not allowed/);
      return true;
    });
    declare([FX]);
    chmodSync(file, 0o666);
    await assert.rejects(startGateway({ dataDir, env }), /PALISADE_MCP_SERVERS_FILE: .* is writable by group or others/);
  });
});
