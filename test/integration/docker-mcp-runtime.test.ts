/**
 * Upstream MCP server containers use the workers' PALISADE_DOCKER_RUNTIME choice (issue 20 item
 * 1), under runc and under runsc (gVisor; the matrix of test/support/docker-runtimes.ts: with
 * CI=true both run, a missing runsc fails the file). Per runtime a real gateway registers the
 * fixture server (test/fixtures/mcp-servers) and the real @modelcontextprotocol/server-filesystem
 * (pinned devDependency) with one read-only mount. Each server's container is inspected
 * (HostConfig.Runtime and every hardening setting; its package closure is ONE read-only bind at
 * /srv, agent-gateway/upstream/package-copy.ts), the kernel it sees is asked from inside
 * (`docker exec` of the image's Node: gVisor's 4.4.0 under runsc, the host's under runc), the
 * server-filesystem reads inside its mount only and cannot write, and a connect attempt from
 * inside its container fails. Skips without a local daemon, fails without one when CI=true.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { MCP_SERVER_LABEL } from '../../sandbox/docker/mcp-container.ts';
import { SUPERVISOR_PID_LABEL } from '../../sandbox/docker/container-config.ts';
import { NODE_PATH_IN_IMAGE } from '../../sandbox/docker/image.ts';
import { PACKAGE_COPIES_DIR } from '../../agent-gateway/upstream/package-copy.ts';
import { call, createAgent, loginAdmin, startGateway, tempDir, type TestGateway } from '../support/gateway.ts';
import { dockerSkipReason } from '../support/docker-env.ts';
import { approveAndWait } from '../support/upstream-approval.ts';
import { DOCKER_TEST_RUNTIMES, isGvisor } from '../support/docker-runtimes.ts';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'mcp-servers');
const FS_PACKAGE = { package: '@modelcontextprotocol/server-filesystem', version: '2026.8.31' };
const skip = await dockerSkipReason();
const docker = new Docker();
const run = promisify(execFile);

async function inspectServer(server: string): Promise<Docker.ContainerInspectInfo> {
  const list = await docker.listContainers({ filters: { label: [`${MCP_SERVER_LABEL}=${server}`, `${SUPERVISOR_PID_LABEL}=${process.pid}`] } });
  assert.equal(list.length, 1, `one running container for ${server}`);
  return docker.getContainer(list[0]!.Id).inspect();
}

/** runs `code` in the image's Node inside the running container (as its user, under its seccomp profile) */
async function nodeInside(id: string, code: string): Promise<string> {
  const { stdout } = await run('docker', ['exec', id, NODE_PATH_IN_IMAGE, '-e', code], { timeout: 60_000 });
  return stdout.trim();
}

const CONNECT = (host: string, port: number): string => `const s = require('node:net').connect({ host: ${JSON.stringify(host)}, port: ${port} });
s.setTimeout(3000, () => { console.log('ETIMEDOUT'); process.exit(0); });
s.on('connect', () => { console.log('CONNECTED'); process.exit(0); });
s.on('error', (e) => { console.log(e.code ?? 'ERROR'); process.exit(0); });`;

for (const runtime of DOCKER_TEST_RUNTIMES) describe(`[${runtime}] upstream MCP server containers follow PALISADE_DOCKER_RUNTIME`, { skip, timeout: 300_000 }, () => {
  let gw: TestGateway;
  let admin: string;
  let share: string;
  before(async () => {
    const root = tempDir('palisade-mcp-runtime-');
    share = path.join(root, 'share');
    mkdirSync(share, { mode: 0o777 });
    chmodSync(share, 0o777); // uid 65534 may write by mode: only the read-only mount stops a write
    writeFileSync(path.join(share, 'inside.txt'), `inside the mount under ${runtime}\n`);
    writeFileSync(path.join(root, 'secret.txt'), 'outside the mount\n');
    symlinkSync(path.join(root, 'secret.txt'), path.join(share, 'link-out.txt'));
    gw = await startGateway({ env: { PALISADE_MCP_SERVERS_DIR: FIXTURES, PALISADE_DOCKER_RUNTIME: runtime } });
    admin = (await loginAdmin(gw.url)).token;
  });
  after(async () => {
    await gw?.stop(true);
  });

  test(`the fixture server's container runs under ${runtime} and its tools answer`, async () => {
    const res = await call(gw.url, 'POST', '/admin/mcp-servers', { token: admin, body: { name: 'fx', package: 'palisade-fixture-echo', version: '1.0.0' } });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.body.status, 'running');
    const info = await inspectServer('fx');
    assert.equal(info.HostConfig.Runtime, runtime);
    assert.equal(info.HostConfig.ReadonlyRootfs, true);
    assert.equal(info.HostConfig.NetworkMode, 'none');
    const agent = await createAgent(gw.url, admin, 'fxbot', ['fx.echo']);
    const echoed = await call(gw.url, 'POST', '/tools/call', { token: agent, body: { tool: 'fx.echo', args: { text: `under ${runtime}` } } });
    assert.equal(echoed.status, 200, echoed.text);
    assert.equal(echoed.body.status, 'ok', echoed.text);
    assert.match(JSON.stringify(echoed.body.result), new RegExp(`under ${runtime}`));
  });

  test(`the real server-filesystem starts under ${runtime} in the hardened container, its closure as one read-only bind`, async () => {
    const res = await call(gw.url, 'POST', '/admin/mcp-servers', {
      token: admin, body: { name: 'fs', ...FS_PACKAGE, args: ['/data'], mounts: [{ host_path: share, container_path: '/data' }] },
    });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.body.status, 'running');
    const info = await inspectServer('fs');
    const hc = info.HostConfig;
    assert.equal(hc.Runtime, runtime);
    assert.equal(hc.ReadonlyRootfs, true);
    assert.equal(hc.NetworkMode, 'none');
    assert.deepEqual(hc.CapDrop, ['ALL']);
    assert.equal(hc.Privileged, false);
    assert.ok(hc.SecurityOpt?.includes('no-new-privileges'), JSON.stringify(hc.SecurityOpt));
    assert.ok(hc.SecurityOpt?.some((o: string) => o.startsWith('seccomp=') && o.includes('"defaultAction"')), 'the worker seccomp profile');
    assert.equal(info.Config.User, '65534:65534');
    assert.ok((hc.Memory ?? 0) > 0 && hc.Memory === hc.MemorySwap, `memory = swap (${hc.Memory} / ${hc.MemorySwap})`);
    assert.ok((hc.NanoCpus ?? 0) > 0 && (hc.PidsLimit ?? 0) > 0, 'cpu and pids quotas');
    const binds = [...(hc.Binds ?? [])].sort();
    assert.equal(binds.length, 2, `the closure and the admin's mount only: ${binds.join(' ')}`);
    const closure = binds.find((b) => b.endsWith(':/srv:ro'));
    assert.ok(closure !== undefined && closure.startsWith(path.join(gw.dataDir, PACKAGE_COPIES_DIR) + path.sep), `one read-only closure bind: ${binds.join(' ')}`);
    assert.ok(binds.includes(`${share}:/data:ro`), binds.join(' '));
    assert.equal((hc.Mounts ?? []).length, 0, 'no other mounts');

    const release = await nodeInside(info.Id, 'console.log(require("node:os").release())');
    if (isGvisor(runtime)) assert.equal(release, '4.4.0', 'gVisor\'s kernel, not the host\'s');
    else assert.equal(release, os.release(), 'the host kernel under runc');
  });

  test(`under ${runtime} the server-filesystem reads inside its mount only and cannot write`, async () => {
    const token = await createAgent(gw.url, admin, 'fsbot', ['fs.read_text_file', 'fs.create_directory', 'fs.write_file']);
    const tools = await call(gw.url, 'GET', '/tools', { token });
    const names = (tools.body.tools as Array<{ name: string }>).map((t) => t.name).sort();
    assert.deepEqual(names, ['fs.create_directory', 'fs.read_text_file', 'fs.write_file']);
    const tool = (name: string, args: unknown) => call(gw.url, 'POST', '/tools/call', { token, body: { tool: name, args } });
    const inside = await tool('fs.read_text_file', { path: '/data/inside.txt' });
    assert.equal(inside.body.status, 'ok', inside.text);
    assert.match(JSON.stringify(inside.body.result), new RegExp(`inside the mount under ${runtime}`));
    for (const p of ['/data/../secret.txt', '/etc/passwd', '/data/link-out.txt', '/srv/work']) {
      const r = await tool('fs.read_text_file', { path: p });
      assert.equal(r.body.status, 'error', `${p}: ${r.text}`);
      assert.doesNotMatch(r.text, /outside the mount/, p);
    }
    const made = await tool('fs.create_directory', { path: '/data/new-dir' });
    assert.equal(made.body.status, 'error', made.text);
    assert.equal(existsSync(path.join(share, 'new-dir')), false, 'nothing made on the host');
    // write_file is destructive by its annotations: approved, it still fails on the read-only mount
    const pending = await tool('fs.write_file', { path: '/data/new.txt', content: 'x' });
    assert.equal(pending.status, 202, pending.text);
    const rec = await approveAndWait(gw.url, admin, pending.body, 'the approved write');
    assert.equal(rec.status, 'error', JSON.stringify(rec));
    assert.match(String(rec.error.message), /EROFS|read-only/i);
    assert.equal(existsSync(path.join(share, 'new.txt')), false, 'nothing written on the host');
  });

  test(`under ${runtime} a connect attempt from inside the server-filesystem's container fails`, async () => {
    const info = await inspectServer('fs');
    for (const host of ['172.17.0.1', '127.0.0.1', '1.1.1.1']) {
      const seen = await nodeInside(info.Id, CONNECT(host, host === '1.1.1.1' ? 443 : gw.port));
      assert.notEqual(seen, 'CONNECTED', host);
      assert.match(seen, /ENETUNREACH|EHOSTUNREACH|ECONNREFUSED|EACCES|EPERM|ETIMEDOUT/, `${host}: ${seen}`);
    }
  });
});
