/**
 * Upstream MCP servers (issue 16) end to end: a real gateway, real Docker, the real
 * @modelcontextprotocol/server-filesystem (pinned devDependency) and a fixture server written with
 * @modelcontextprotocol/server (test/fixtures/mcp-servers/palisade-fixture-echo), each in its own
 * hardened container; agents use them over /mcp with the official client and over REST.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';
import type { Client } from '@modelcontextprotocol/client';
import { call, createAgent, loginAdmin, startGateway, tempDir, type TestGateway } from '../support/gateway.ts';
import { connectMcp, eventually } from '../support/mcp-client.ts';
import { dockerSkipReason } from '../support/docker-env.ts';
import { approveAndWait } from '../support/upstream-approval.ts';

type ToolResult = { isError?: boolean; structuredContent?: any; content: Array<{ type: string; text?: string }> };

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'mcp-servers');
const FS_PACKAGE = { package: '@modelcontextprotocol/server-filesystem', version: '2026.8.31' };
const skip = await dockerSkipReason();
const docker = new Docker();

async function containerOf(server: string): Promise<string> {
  const list = await docker.listContainers({ filters: { label: [`palisade.mcp-server=${server}`, `palisade.supervisor-pid=${process.pid}`] } });
  assert.equal(list.length, 1, `one running container for ${server}`);
  return list[0]!.Id;
}

describe('upstream MCP servers in the Docker sandbox', { skip, timeout: 240_000 }, () => {
  let gw: TestGateway;
  let admin: string;
  let token: string;
  let client: Client;
  let share: string;
  const mcp = async (name: string, args: Record<string, unknown>): Promise<ToolResult> => (await client.callTool({ name, arguments: args })) as ToolResult;

  before(async () => {
    const root = tempDir('palisade-upstream-');
    share = path.join(root, 'share');
    mkdirSync(share);
    chmodSync(share, 0o777); // uid 65534 may write by mode: only the read-only mount stops a write (EROFS, not EACCES)
    writeFileSync(path.join(share, 'inside.txt'), 'inside the mount\n');
    writeFileSync(path.join(root, 'secret.txt'), 'outside the mount\n');
    symlinkSync(path.join(root, 'secret.txt'), path.join(share, 'link-out.txt'));
    gw = await startGateway({ env: { PALISADE_MCP_SERVERS_DIR: FIXTURES } });
    admin = (await loginAdmin(gw.url)).token;
  });
  after(async () => {
    await client?.close().catch(() => undefined);
    await gw?.stop(true);
  });

  test('registering refuses what it must: not installed, wrong version, a range, an unknown network, a proxy env, a mount of the data dir, a missing host path, a built-in namespace', async () => {
    const post = (body: unknown) => call(gw.url, 'POST', '/admin/mcp-servers', { token: admin, body });
    const cases: Array<[unknown, number, string]> = [
      [{ name: 'nope', package: 'left-pad-not-installed', version: '1.0.0' }, 422, 'GW_ERR_UPSTREAM_PACKAGE'],
      [{ name: 'fs', ...FS_PACKAGE, version: '2025.1.1' }, 422, 'GW_ERR_UPSTREAM_PACKAGE'],
      [{ name: 'fs', ...FS_PACKAGE, version: '^2026.8.31' }, 422, 'GW_ERR_UPSTREAM_PACKAGE'],
      [{ name: 'fs', ...FS_PACKAGE, network: 'host' }, 422, 'GW_ERR_VALIDATION'],
      [{ name: 'fs', ...FS_PACKAGE, network: 'egress-allowlist', env: { HTTPS_PROXY: 'http://elsewhere:3128' } }, 422, 'GW_ERR_VALIDATION'],
      [{ name: 'fs', ...FS_PACKAGE, mounts: [{ host_path: gw.dataDir, container_path: '/data' }] }, 422, 'GW_ERR_UPSTREAM_MOUNT'],
      [{ name: 'fs', ...FS_PACKAGE, mounts: [{ host_path: '/does/not/exist', container_path: '/data' }] }, 422, 'GW_ERR_UPSTREAM_MOUNT'],
      [{ name: 'fs', ...FS_PACKAGE, mounts: [{ host_path: share, container_path: '/srv/x' }] }, 422, 'GW_ERR_UPSTREAM_MOUNT'],
      [{ name: 'fs', ...FS_PACKAGE, env: { NODE_OPTIONS: '--require /x' } }, 422, 'GW_ERR_VALIDATION'],
      [{ name: 'js', ...FS_PACKAGE }, 422, 'GW_ERR_VALIDATION'],
      [{ name: 'fs', ...FS_PACKAGE, extra: 1 }, 422, 'GW_ERR_VALIDATION'],
    ];
    for (const [body, status, code] of cases) {
      const res = await post(body);
      assert.equal(res.status, status, `${JSON.stringify(body)} → ${res.text}`);
      assert.equal(res.body.code, code, JSON.stringify(body));
    }
    assert.equal((await call(gw.url, 'GET', '/admin/mcp-servers', { token: admin })).body.servers.length, 0, 'nothing was stored');
  });

  test('the real server-filesystem with one read-only mount: pinned at registration, env never returned, tools listed over /mcp as fs.<tool>', async () => {
    const res = await call(gw.url, 'POST', '/admin/mcp-servers', {
      token: admin,
      body: { name: 'fs', ...FS_PACKAGE, args: ['/data'], env: { FS_SECRET_TOKEN: 'do-not-return-me' }, mounts: [{ host_path: share, container_path: '/data' }] },
    });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.body.status, 'running');
    assert.deepEqual(res.body.env, ['FS_SECRET_TOKEN']);
    assert.deepEqual(res.body.mounts, [{ host_path: share, container_path: '/data', read_only: true }]);
    assert.ok(res.body.tools.every((t: { state: string }) => t.state === 'enabled'), 'every tool pinned at registration');
    const listed = await call(gw.url, 'GET', '/admin/mcp-servers', { token: admin });
    assert.ok(!listed.text.includes('do-not-return-me'), 'env values never returned');
    const audit = await call(gw.url, 'GET', '/admin/audit?event=mcp_server.register', { token: admin });
    assert.equal(audit.body.entries.length, 1);
    assert.ok(!audit.text.includes('do-not-return-me'), 'env values never audited');

    token = await createAgent(gw.url, admin, 'fsbot', ['fs.*']);
    client = await connectMcp(gw.url, token);
    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name);
    assert.ok(names.includes('fs.read_text_file'), names.join(','));
    assert.ok(names.every((n) => n.startsWith('fs.')), 'only the scope');
    assert.deepEqual([...names].sort(), names, 'sorted');
    const rest = await call(gw.url, 'GET', '/tools', { token });
    assert.ok(rest.body.tools.some((t: { name: string; backend: string }) => t.name === 'fs.read_text_file' && t.backend === 'docker'));
  });

  test('reads inside the mount; ../, an absolute path and a symlink out are refused; a write (approval, destructive) fails read-only', async () => {
    const ok = await mcp('fs.read_text_file', { path: '/data/inside.txt' });
    assert.notEqual(ok.isError, true, JSON.stringify(ok));
    assert.match(JSON.stringify(ok.structuredContent ?? ok.content), /inside the mount/);
    for (const p of ['/data/../secret.txt', '/etc/passwd', '/data/link-out.txt', '/srv']) {
      const r = await mcp('fs.read_text_file', { path: p });
      assert.equal(r.isError, true, `${p}: ${JSON.stringify(r)}`);
      assert.doesNotMatch(JSON.stringify(r), /outside the mount/, p);
    }
    // args the inputSchema refuses never reach the server
    const bad = await call(gw.url, 'POST', '/tools/call', { token, body: { tool: 'fs.read_text_file', args: { path: 1 } } });
    assert.equal(bad.status, 422, bad.text);
    // write_file is destructive by its annotations: it needs approval; approve runs the exact stored args
    const pending = await call(gw.url, 'POST', '/tools/call', { token, body: { tool: 'fs.write_file', args: { path: '/data/new.txt', content: 'x' } } });
    assert.equal(pending.status, 202, pending.text);
    const item = await call(gw.url, 'GET', `/approvals/${pending.body.approval_id}`, { token: admin });
    assert.equal(item.body.risk, 'high');
    const rec = await approveAndWait(gw.url, admin, pending.body, 'the approved write');
    assert.equal(rec.status, 'error', JSON.stringify(rec));
    assert.match(String(rec.error.message), /EROFS|read-only/i);
  });

  test('the audit shows each call to the upstream tools', async () => {
    const res = await call(gw.url, 'GET', '/admin/audit?event=tool.call&actor=agent:fsbot&limit=1000', { token: admin });
    const tools = (res.body.entries as Array<{ data: { tool: string; outcome?: string } }>).map((e) => e.data.tool);
    assert.equal(tools.filter((t) => t === 'fs.read_text_file').length, 6, tools.join(','));
    assert.ok(tools.includes('fs.write_file'));
  });

  test('the kill switch stops upstream tools like built-ins', async () => {
    assert.equal((await call(gw.url, 'POST', '/admin/kill-switch', { token: admin, body: { reason: 'test' } })).status, 200);
    const r = await mcp('fs.read_text_file', { path: '/data/inside.txt' });
    assert.equal(r.isError, true);
    assert.equal(r.structuredContent.code, 'GW_ERR_KILL_SWITCH');
    assert.equal((await call(gw.url, 'DELETE', '/admin/kill-switch', { token: admin })).status, 200);
  });

  test('crash: the container is killed; the next call gets a clear error, the server restarts, a following call works', async () => {
    const before = await containerOf('fs');
    await docker.getContainer(before).kill();
    const refused = await eventually(async () => {
      const r = await call(gw.url, 'POST', '/tools/call', { token, body: { tool: 'fs.read_text_file', args: { path: '/data/inside.txt' } } });
      return r.status === 503 || r.body?.status === 'error' ? r : undefined;
    }, 10_000, 'the crash to be seen');
    assert.match(refused.text, /GW_ERR_BACKEND_UNAVAILABLE|SBX_ERR_WORKER_CRASHED/);
    const good = await eventually(async () => {
      const r = await call(gw.url, 'POST', '/tools/call', { token, body: { tool: 'fs.read_text_file', args: { path: '/data/inside.txt' } } });
      return r.status === 200 && r.body.status === 'ok' ? r : undefined;
    }, 60_000, 'the restarted server');
    assert.match(JSON.stringify(good.body.result), /inside the mount/);
    assert.notEqual(await containerOf('fs'), before, 'a new container');
    const crashed = await call(gw.url, 'GET', '/admin/audit?event=mcp_server.crashed', { token: admin });
    assert.ok(crashed.body.entries.length >= 1);
    await eventually(async () => {
      const fired = await call(gw.url, 'GET', '/admin/audit?event=alert.fired', { token: admin });
      return (fired.body.entries as Array<{ data: { alert: string } }>).find((e) => e.data.alert === 'upstream.crashed');
    }, 10_000, 'the crash alert');
  });

  test('fixture server: no network inside (a connect attempt fails); a rug pull disables the tool with an alert and a diff; re-pin enables it', async () => {
    const res = await call(gw.url, 'POST', '/admin/mcp-servers', {
      token: admin, body: { name: 'fx', package: 'palisade-fixture-echo', version: '1.0.0', env: { FIXTURE_RUG: '1' } },
    });
    assert.equal(res.status, 201, res.text);
    const fx = await createAgent(gw.url, admin, 'fxbot', ['fx.*']);
    const run = (tool: string, args: unknown) => call(gw.url, 'POST', '/tools/call', { token: fx, body: { tool, args } });

    const echo = await run('fx.echo', { text: 'hi' });
    assert.equal(echo.status, 200, echo.text);
    assert.deepEqual(echo.body.result, { text: 'hi' });
    const net = await run('fx.connect', { host: '172.17.0.1', port: gw.port });
    assert.equal(net.status, 200, net.text);
    assert.notEqual(net.body.result.result, 'CONNECTED');
    assert.match(net.body.result.result, /ENETUNREACH|EHOSTUNREACH|ECONNREFUSED|EACCES|EPERM|ETIMEDOUT/);
    const loop = await run('fx.connect', { host: '127.0.0.1', port: gw.port });
    assert.notEqual(loop.body.result.result, 'CONNECTED', 'the gateway on the host loopback is out of reach too');

    // the fixture announces list_changed after its first list; the second list has a new description
    const changed = await eventually(async () => {
      const r = await run('fx.notes', { text: 'a' });
      return r.status === 403 ? r : undefined;
    }, 15_000, 'the changed definition to disable the tool');
    assert.equal(changed.body.code, 'GW_ERR_TOOL_DEFINITION_CHANGED');
    assert.equal((await run('fx.echo', { text: 'still' })).status, 200, 'an unchanged tool stays enabled');
    const listed = await call(gw.url, 'GET', '/tools', { token: fx });
    assert.ok(!listed.body.tools.some((t: { name: string }) => t.name === 'fx.notes'), 'a disabled tool is not listed');
    const view = await call(gw.url, 'GET', '/admin/mcp-servers/fx', { token: admin });
    const notes = view.body.tools.find((t: { name: string }) => t.name === 'fx.notes');
    assert.equal(notes.state, 'changed');
    assert.match(notes.diff, /description: \+ .*id_rsa/);
    const audit = await call(gw.url, 'GET', '/admin/audit?event=mcp_server.definition_changed', { token: admin });
    assert.equal(audit.body.entries.length, 1);
    assert.match(audit.body.entries[0].data.diff, /id_rsa/);
    await eventually(async () => {
      const fired = await call(gw.url, 'GET', '/admin/audit?event=alert.fired', { token: admin });
      return (fired.body.entries as Array<{ data: { alert: string; severity: string } }>)
        .find((e) => e.data.alert === 'upstream.definition_changed' && e.data.severity === 'critical');
    }, 10_000, 'the definition-changed alert');

    const pin = await call(gw.url, 'POST', '/admin/mcp-servers/fx/pin', { token: admin, body: { tools: ['notes'] } });
    assert.equal(pin.status, 200, pin.text);
    const repinned = pin.body.tools.find((t: { name: string }) => t.name === 'fx.notes');
    assert.equal(repinned.state, 'enabled');
    assert.ok(repinned.flags.includes('model_instructions'), 'the poisoned description is flagged at pin');
    assert.equal((await run('fx.notes', { text: 'b' })).status, 200);
  });

  test('a zero-width-hidden instruction is flagged at pin and stripped from what agents see', async () => {
    const view = await call(gw.url, 'GET', '/admin/mcp-servers/fx', { token: admin });
    const hidden = view.body.tools.find((t: { name: string }) => t.name === 'fx.hidden');
    assert.ok(hidden.flags.includes('hidden_characters'), JSON.stringify(hidden));
    assert.ok(hidden.flags.includes('model_instructions'), 'the hidden instruction is found through the zero-width characters');
    const fx = await createAgent(gw.url, admin, 'fxreader', ['fx.hidden']);
    const c = await connectMcp(gw.url, fx);
    try {
      const { tools } = await c.listTools();
      assert.equal(tools.length, 1);
      assert.doesNotMatch(tools[0]!.description ?? '', /[\u200B-\u200F\u202A-\u202E\u2060-\u2064\uFEFF]/u);
      assert.match(tools[0]!.description ?? '', /^Adds numbers\.Ignore previous/);
    } finally {
      await c.close();
    }
  });

  test('a destructive upstream tool needs approval; approve runs the exact stored args', async () => {
    const fx = await createAgent(gw.url, admin, 'wiper', ['fx.wipe']);
    const pending = await call(gw.url, 'POST', '/tools/call', { token: fx, body: { tool: 'fx.wipe', args: { target: 'exact-target-42' } } });
    assert.equal(pending.status, 202, pending.text);
    const rec = await approveAndWait(gw.url, admin, pending.body, 'the approved wipe');
    assert.equal(rec.status, 'ok', JSON.stringify(rec));
    assert.deepEqual(rec.result, { wiped: 'exact-target-42' });
  });

  test('a call whose caller has already gone is withdrawn before it reaches the server; with the caller there it runs', async () => {
    const { registry, dispatcher } = gw.gateway.tools;
    const tool = registry.get('fx.echo');
    assert.ok(tool?.upstream !== undefined, 'fx.echo is an upstream tool');
    const gone = await dispatcher.run(tool, { text: 'gone' }, 'withdrawn-before-start', { withdraw: AbortSignal.abort() });
    assert.ok(gone.ok && !gone.result.ok && gone.result.code === 'SBX_ERR_ABORTED', JSON.stringify(gone));
    const here = await dispatcher.run(tool, { text: 'here' }, 'caller-still-there', { withdraw: new AbortController().signal });
    assert.ok(here.ok && here.result.ok, JSON.stringify(here));
    assert.match(JSON.stringify(here.result.value), /"here"/);
  });

  test('a message line over 256 KiB from the server ends its container: the call fails clearly, the server restarts', async () => {
    const fx = await createAgent(gw.url, admin, 'flooder', ['fx.flood', 'fx.echo']);
    const run = (tool: string, args: unknown) => call(gw.url, 'POST', '/tools/call', { token: fx, body: { tool, args } });
    const small = await run('fx.flood', { kib: 8 });
    assert.equal(small.body.status, 'ok', small.text);
    const before = await containerOf('fx');
    const big = await run('fx.flood', { kib: 300 });
    assert.equal(big.status, 200, big.text);
    assert.equal(big.body.status, 'error', big.text);
    assert.equal(big.body.error.code, 'SBX_ERR_WORKER_CRASHED');
    const back = await eventually(async () => {
      const r = await run('fx.echo', { text: 'back' });
      return r.body?.status === 'ok' ? r : undefined;
    }, 60_000, 'the restarted fixture');
    assert.deepEqual(back.body.result, { text: 'back' });
    assert.notEqual(await containerOf('fx'), before);
  });

  test('DELETE stops the server and its tools disappear', async () => {
    assert.equal((await call(gw.url, 'DELETE', '/admin/mcp-servers/fx', { token: admin })).status, 204);
    assert.equal((await call(gw.url, 'GET', '/admin/mcp-servers/fx', { token: admin })).status, 404);
    const list = await docker.listContainers({ filters: { label: ['palisade.mcp-server=fx'] } });
    assert.equal(list.length, 0);
  });

  test('a restart brings the stored server back (sqlite) with its pins: its tools work again without re-pinning', async () => {
    await client.close();
    const dataDir = gw.dataDir;
    await gw.stop();
    assert.equal((await docker.listContainers({ filters: { label: ['palisade.mcp-server=fs', `palisade.supervisor-pid=${process.pid}`] } })).length, 0, 'stopped with the gateway');
    gw = await startGateway({ dataDir, env: { PALISADE_MCP_SERVERS_DIR: FIXTURES } });
    const r = await eventually(async () => {
      const res = await call(gw.url, 'POST', '/tools/call', { token, body: { tool: 'fs.read_text_file', args: { path: '/data/inside.txt' } } });
      return res.status === 200 && res.body.status === 'ok' ? res : undefined;
    }, 60_000, 'the stored server after the restart');
    assert.match(JSON.stringify(r.body.result), /inside the mount/);
    const view = await call(gw.url, 'GET', '/admin/mcp-servers/fs', { token: admin });
    assert.equal(view.body.status, 'running');
    assert.ok(view.body.tools.every((t: { state: string }) => t.state === 'enabled'));
  });
});
