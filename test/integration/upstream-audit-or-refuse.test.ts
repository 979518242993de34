/**
 * Audit-or-refuse for the upstream MCP server routes (issue 17's rule applied to the route family
 * issue 16 added): with an audit sink that cannot write, POST /admin/mcp-servers, POST …/:name/pin
 * and DELETE …/:name answer 503 GW_ERR_AUDIT_UNAVAILABLE and change nothing: no server stored,
 * no container left running, the pins and the server unchanged. Real gateway, real Docker, the
 * fixture server under test/fixtures/mcp-servers.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';
import type { EventSink } from '../../agent-gateway/events.ts';
import { call, loginAdmin, startGateway, type TestGateway } from '../support/gateway.ts';
import { dockerSkipReason } from '../support/docker-env.ts';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'mcp-servers');
const FX = { name: 'fxa', package: 'palisade-fixture-echo', version: '1.0.0' };
const skip = await dockerSkipReason();
const docker = new Docker();

const containersOf = async (server: string): Promise<number> =>
  (await docker.listContainers({ filters: { label: [`palisade.mcp-server=${server}`, `palisade.supervisor-pid=${process.pid}`] } })).length;

describe('audit-or-refuse on the upstream MCP server routes', { skip, timeout: 180_000 }, () => {
  let gw: TestGateway;
  let admin: string;
  let failing = false;
  const wrap = (real: EventSink): EventSink => ({
    record: (event) => (failing && String(event.type).startsWith('mcp_server.') ? Promise.reject(new Error('disk full (injected)')) : real.record(event)),
  });
  before(async () => {
    gw = await startGateway({ env: { PALISADE_MCP_SERVERS_DIR: FIXTURES }, wrapEvents: wrap });
    admin = (await loginAdmin(gw.url)).token;
  });
  after(() => gw?.stop(true));

  const refused = async (method: string, route: string, body?: unknown): Promise<void> => {
    failing = true;
    try {
      const res = await call(gw.url, method, route, { token: admin, ...(body === undefined ? {} : { body }) });
      assert.equal(res.status, 503, `${method} ${route}: ${res.text}`);
      assert.equal(res.body.code, 'GW_ERR_AUDIT_UNAVAILABLE');
    } finally {
      failing = false;
    }
  };
  const audited = async (event: string): Promise<number> =>
    (await call(gw.url, 'GET', `/admin/audit?event=${event}&limit=100`, { token: admin })).body.entries.length;

  test('register: 503, nothing stored, no container left running; then the same request succeeds', async () => {
    await refused('POST', '/admin/mcp-servers', FX);
    assert.equal((await call(gw.url, 'GET', '/admin/mcp-servers', { token: admin })).body.servers.length, 0);
    assert.equal((await call(gw.url, 'GET', `/admin/mcp-servers/${FX.name}`, { token: admin })).status, 404);
    assert.equal(await containersOf(FX.name), 0, 'the container started for the refused registration is gone');
    const ok = await call(gw.url, 'POST', '/admin/mcp-servers', { token: admin, body: FX });
    assert.equal(ok.status, 201, ok.text);
    assert.equal(await audited('mcp_server.register'), 1);
  });

  test('pin: 503 and no pin line; delete: 503, the server stays registered and running', async () => {
    const pinsBefore = (await call(gw.url, 'GET', `/admin/mcp-servers/${FX.name}`, { token: admin })).body.tools;
    await refused('POST', `/admin/mcp-servers/${FX.name}/pin`, {});
    assert.equal(await audited('mcp_server.pin'), 0);
    assert.deepEqual((await call(gw.url, 'GET', `/admin/mcp-servers/${FX.name}`, { token: admin })).body.tools, pinsBefore);

    await refused('DELETE', `/admin/mcp-servers/${FX.name}`);
    const still = await call(gw.url, 'GET', `/admin/mcp-servers/${FX.name}`, { token: admin });
    assert.equal(still.status, 200);
    assert.equal(still.body.status, 'running');
    assert.equal(await containersOf(FX.name), 1);

    const gone = await call(gw.url, 'DELETE', `/admin/mcp-servers/${FX.name}`, { token: admin });
    assert.ok(gone.status === 204 || gone.status === 200, gone.text);
    assert.equal(await audited('mcp_server.delete'), 1);
    assert.equal((await call(gw.url, 'GET', `/admin/mcp-servers/${FX.name}`, { token: admin })).status, 404);
  });
});
