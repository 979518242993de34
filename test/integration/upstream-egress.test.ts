/**
 * Upstream MCP servers with network "egress-allowlist" (issue 16 item 2), end to end with real
 * Docker under runc and under runsc (the matrix of test/support/docker-runtimes.ts; under runsc
 * the container runs under runsc-egress). A fixture server written for this test with the official
 * SDK (test/fixtures/mcp-servers/palisade-fixture-fetch) has
 * a `fetch` tool (Node's own fetch, which the container's env sends through the relay and the
 * gateway's tunnel) and a `connect` tool (a raw TCP connect, no proxy). The gateway's egress
 * allowlist (PALISADE_EGRESS_ALLOWLIST) names a loopback origin of this test by hostname
 * (`localhost`, its addresses trusted with PALISADE_EGRESS_TRUSTED_ADDRESSES, as a local LLM
 * would be) and the metadata address. Per runtime:
 *  - the allowlisted origin answers through the tunnel; the audit has the allowed decision;
 *  - an origin not on the allowlist (same host, another port that counts its connections), the
 *    metadata address (allowlisted, still refused) and 127.0.0.1 as a literal are refused: the
 *    fetch fails, the port saw nothing, the audit has each denial;
 *  - a raw connect from inside to the host, the gateway or the internet (bypassing the proxy)
 *    fails: the container's network is still none;
 *  - the container's own settings: network none, the egress runtime, the socket folder and the
 *    relay read-only;
 *  - a killed container comes back through the same tunnel; the gateway's close removes the
 *    socket and a restart brings the stored server back with its network; DELETE removes it.
 * A network-none server keeps failing to connect at all (docker-mcp-runtime.test.ts,
 * upstream-mcp.test.ts). Skips without a local daemon, fails without one when CI=true.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';
import { MCP_SERVER_LABEL } from '../../sandbox/docker/mcp-container.ts';
import { SUPERVISOR_PID_LABEL } from '../../sandbox/docker/container-config.ts';
import { EGRESS_RELAY_HOST_PATH, RUNSC_EGRESS_RUNTIME } from '../../sandbox/docker/mcp-egress.ts';
import { EGRESS_SOCKETS_DIR } from '../../agent-gateway/upstream/egress.ts';
import { call, createAgent, loginAdmin, startGateway, type TestGateway } from '../support/gateway.ts';
import { dockerSkipReason } from '../support/docker-env.ts';
import { eventually } from '../support/mcp-client.ts';
import { DOCKER_TEST_RUNTIMES } from '../support/docker-runtimes.ts';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'mcp-servers');
const skip = await dockerSkipReason();
const docker = new Docker();


interface Origin { readonly server: http.Server; readonly port: number; connections: number }

async function origin(body: string): Promise<Origin> {
  const o = { server: http.createServer((_req, res) => res.end(body)), port: 0, connections: 0 };
  o.server.on('connection', () => { o.connections += 1; });
  await new Promise<void>((resolve) => o.server.listen(0, '127.0.0.1', () => resolve()));
  return Object.assign(o, { port: (o.server.address() as AddressInfo).port });
}

for (const runtime of DOCKER_TEST_RUNTIMES) describe(`[${runtime}] an upstream server with network egress-allowlist reaches only the allowlist, through the gateway`, { skip, timeout: 300_000 }, () => {
  let gw: TestGateway;
  let admin: string;
  let agent: string;
  let allowed: Origin;
  let other: Origin;
  const tool = async (name: string, args: unknown): Promise<Record<string, unknown>> => {
    const res = await call(gw.url, 'POST', '/tools/call', { token: agent, body: { tool: `web.${name}`, args } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.status, 'ok', res.text);
    return res.body.result as Record<string, unknown>;
  };
  const gatewayEnv = (): Record<string, string> => ({
    PALISADE_MCP_SERVERS_DIR: FIXTURES, PALISADE_DOCKER_RUNTIME: runtime,
    PALISADE_EGRESS_ALLOWLIST: `http://localhost:${allowed.port},http://169.254.169.254`,
    PALISADE_EGRESS_TRUSTED_ADDRESSES: '127.0.0.1,::1',
  });
  const egressAudit = async (): Promise<Array<{ outcome: string; data: { server: string; host: string; port: number; code?: string; reason?: string } }>> =>
    (await call(gw.url, 'GET', '/admin/audit?event=mcp_server.egress&limit=1000', { token: admin })).body.entries;

  before(async () => {
    allowed = await origin(`hello from the allowlisted origin under ${runtime}`);
    other = await origin('must never be reached');
    gw = await startGateway({ env: gatewayEnv() });
    admin = (await loginAdmin(gw.url)).token;
  });
  after(async () => {
    await gw?.stop(true);
    allowed?.server.close();
    other?.server.close();
  });

  test(`registers under ${runtime}: network none, the egress runtime, the tunnel folder and the relay read-only`, async () => {
    const res = await call(gw.url, 'POST', '/admin/mcp-servers', {
      token: admin, body: { name: 'web', package: 'palisade-fixture-fetch', version: '1.0.0', network: 'egress-allowlist' },
    });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.body.status, 'running');
    assert.equal(res.body.network, 'egress-allowlist');
    const list = await docker.listContainers({ filters: { label: [`${MCP_SERVER_LABEL}=web`, `${SUPERVISOR_PID_LABEL}=${process.pid}`] } });
    assert.equal(list.length, 1);
    const info = await docker.getContainer(list[0]!.Id).inspect();
    assert.equal(info.HostConfig.NetworkMode, 'none');
    assert.equal(info.HostConfig.Runtime, runtime === 'runsc' ? RUNSC_EGRESS_RUNTIME : 'runc');
    const socketDir = path.join(gw.dataDir, EGRESS_SOCKETS_DIR, 'web');
    const binds = info.HostConfig.Binds ?? [];
    assert.ok(binds.includes(`${socketDir}:/run/palisade-egress:ro`), binds.join(' '));
    assert.ok(binds.includes(`${EGRESS_RELAY_HOST_PATH}:/run/palisade-egress-relay.mjs:ro`), binds.join(' '));
    assert.equal(binds.length, 3, `the closure, the tunnel folder, the relay: ${binds.join(' ')}`);
    assert.deepEqual(readdirSync(socketDir), ['proxy.sock']);
    agent = await createAgent(gw.url, admin, 'webbot', ['web.*']);
  });

  test(`under ${runtime} the allowlisted origin answers through the tunnel, and the decision is audited`, async (t) => {
    const first = await tool('fetch', { url: `http://localhost:${allowed.port}/hello` });
    assert.equal(first['status'], 200, JSON.stringify(first));
    assert.equal(first['body'], `hello from the allowlisted origin under ${runtime}`);
    const second = await tool('fetch', { url: `http://localhost:${allowed.port}/again` });
    assert.equal(second['status'], 200, JSON.stringify(second));
    t.diagnostic(`fetch through relay + tunnel under ${runtime}: first ${String(first['ms'])} ms, second ${String(second['ms'])} ms`);
    const ok = (await egressAudit()).filter((e) => e.outcome === 'ok');
    assert.ok(ok.some((e) => e.data.server === 'web' && e.data.host === 'localhost' && e.data.port === allowed.port), JSON.stringify(ok));
  });

  test(`under ${runtime} a burst of fetches stays within the default memory (no WebAssembly tier-up burst: --liftoff-only)`, async () => {
    for (let i = 0; i < 12; i += 1) {
      const r = await tool('fetch', { url: `http://localhost:${allowed.port}/burst/${i}` });
      assert.equal(r['status'], 200, `fetch ${i}: ${JSON.stringify(r)}`);
    }
  });

  test(`under ${runtime} an origin not on the allowlist, the metadata address and a loopback literal are refused and audited`, async () => {
    const cases: Array<[string, string, number, RegExp]> = [
      [`http://localhost:${other.port}/`, 'localhost', other.port, /^EGRESS_NOT_ALLOWLISTED/],
      ['http://169.254.169.254/latest/meta-data/', '169.254.169.254', 80, /^EGRESS_ADDRESS: address class metadata/],
      [`http://127.0.0.1:${allowed.port}/`, '127.0.0.1', allowed.port, /^EGRESS_NOT_ALLOWLISTED/],
      [`https://example.com/`, 'example.com', 443, /^EGRESS_NOT_ALLOWLISTED/],
    ];
    const before = allowed.connections;
    for (const [url, host, port, reason] of cases) {
      const r = await tool('fetch', { url });
      assert.equal(r['status'], undefined, `${url}: ${JSON.stringify(r)}`);
      assert.ok(typeof r['error'] === 'string', `${url}: the fetch fails: ${JSON.stringify(r)}`);
      const denied = (await egressAudit()).filter((e) => e.outcome === 'denied' && e.data.host === host && e.data.port === port);
      assert.equal(denied.length, 1, `${url}: one denial audited: ${JSON.stringify(denied)}`);
      assert.equal(denied[0]!.data.server, 'web');
      assert.match(denied[0]!.data.reason ?? '', reason, url);
    }
    assert.equal(other.connections, 0, 'the port not on the allowlist saw no connection');
    assert.equal(allowed.connections, before, 'the allowlisted origin was not reached by its IP literal');
  });

  test(`under ${runtime} a raw connect from inside, bypassing the proxy, fails: the network is still none`, async () => {
    for (const [host, port] of [['172.17.0.1', gw.port], ['127.0.0.1', gw.port], ['127.0.0.1', allowed.port], ['1.1.1.1', 443]] as const) {
      const r = await tool('connect', { host, port });
      assert.notEqual(r['result'], 'CONNECTED', `${host}:${port}`);
      assert.match(String(r['result']), /ENETUNREACH|EHOSTUNREACH|ECONNREFUSED|EACCES|EPERM|ETIMEDOUT/, `${host}:${port}: ${String(r['result'])}`);
    }
  });

  test(`under ${runtime} a killed container comes back and reaches the allowlist through the same tunnel`, async () => {
    const list = await docker.listContainers({ filters: { label: [`${MCP_SERVER_LABEL}=web`, `${SUPERVISOR_PID_LABEL}=${process.pid}`] } });
    await docker.getContainer(list[0]!.Id).kill();
    const back = await eventually(async () => {
      const res = await call(gw.url, 'POST', '/tools/call', { token: agent, body: { tool: 'web.fetch', args: { url: `http://localhost:${allowed.port}/back` } } });
      return res.status === 200 && res.body.status === 'ok' && res.body.result.status === 200 ? res : undefined;
    }, 60_000, 'the restarted server');
    assert.equal(back.body.result.body, `hello from the allowlisted origin under ${runtime}`);
  });

  test(`under ${runtime} the gateway's close removes the socket; the stored server comes back with its network after a restart`, async () => {
    const dataDir = gw.dataDir;
    await gw.stop();
    assert.equal(existsSync(path.join(dataDir, EGRESS_SOCKETS_DIR, 'web')), false, 'closed with the gateway');
    gw = await startGateway({ dataDir, env: gatewayEnv() });
    const res = await eventually(async () => {
      const r = await call(gw.url, 'POST', '/tools/call', { token: agent, body: { tool: 'web.fetch', args: { url: `http://localhost:${allowed.port}/restart` } } });
      return r.status === 200 && r.body.status === 'ok' && r.body.result.status === 200 ? r : undefined;
    }, 60_000, 'the stored egress server after the restart');
    assert.equal(res.body.result.body, `hello from the allowlisted origin under ${runtime}`);
    assert.equal((await call(gw.url, 'GET', '/admin/mcp-servers/web', { token: admin })).body.network, 'egress-allowlist');
  });

  test(`under ${runtime} DELETE stops the server and removes its tunnel socket`, async () => {
    assert.equal((await call(gw.url, 'DELETE', '/admin/mcp-servers/web', { token: admin })).status, 204);
    assert.equal(existsSync(path.join(gw.dataDir, EGRESS_SOCKETS_DIR, 'web')), false);
    assert.equal((await docker.listContainers({ filters: { label: [`${MCP_SERVER_LABEL}=web`, `${SUPERVISOR_PID_LABEL}=${process.pid}`] } })).length, 0);
  });
});
