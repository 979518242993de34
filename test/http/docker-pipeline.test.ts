/**
 * The Docker backend through the real pipeline: HTTP → auth → policy → docker warm pool →
 * result. Hostile js.eval code runs inside the locked-down container and reports what it could
 * not do. Skips without a local daemon; fails without one when CI=true.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { call, createAgent, loginAdmin, startGateway, type TestGateway } from '../support/gateway.ts';
import { dockerSkipReason } from '../support/docker-env.ts';
import { NODE_PATH_IN_IMAGE } from '../../sandbox/docker/image.ts';

const skip = await dockerSkipReason();

describe('tool calls through the Docker backend', { skip, timeout: 600_000 }, () => {
  let gw: TestGateway;
  let agent: string;
  let admin: string;
  before(async () => {
    // pool size pinned: the default now follows the host's cores (issue 15), ready/total below are 2 + 1 standby
    gw = await startGateway({ env: { PALISADE_SANDBOX_BACKEND: 'docker', PALISADE_DOCKER_POOL_SIZE: '2' } });
    admin = (await loginAdmin(gw.url)).token;
    await call(gw.url, 'PUT', '/admin/policy', { token: admin, body: { rules: [{ id: 'eval-in-docker', effect: 'allow', agents: ['dock'], tools: ['js.eval'] }] } });
    agent = await createAgent(gw.url, admin, 'dock', ['echo', 'js.eval']);
    for (let i = 0; i < 120 && (await call(gw.url, 'GET', '/health/ready')).body.backends.docker.healthy !== true; i++) {
      await new Promise((r) => setTimeout(r, 500));
    }
  });
  after(() => gw?.stop(true));

  const evalCall = (code: string) => call(gw.url, 'POST', '/tools/call', { token: agent, body: { tool: 'js.eval', args: { code } } });

  test('/health/ready reports the docker backend healthy', async () => {
    const ready = await call(gw.url, 'GET', '/health/ready');
    assert.equal(ready.status, 200);
    // v1 `healthy` kept; `state` and worker counts added (issue 22: healthy | degraded | down)
    assert.deepEqual(ready.body.backends.docker, { healthy: true, state: 'healthy', ready: 3, total: 3 });
    assert.equal(ready.body.backends.isolate, 'disabled', 'PALISADE_SANDBOX_BACKEND=docker starts no isolate hosts');
    // no silent degradation: where each risk class runs, the worker image (built at start or present) and the OCI runtime (issue 20)
    assert.match(ready.body.routing.summary, /^docker: available \(worker image palisade-worker:[0-9a-f]{12}( built at start in [\d.]+ s)?, runtime (runc|runsc \(gVisor\))\) → low-risk tools run in docker, high-risk tools run in docker$/);
  });

  test('echo runs in a container (PALISADE_SANDBOX_BACKEND=docker) and the audit line names the docker backend', async () => {
    const res = await call(gw.url, 'POST', '/tools/call', { token: agent, body: { tool: 'echo', args: { text: 'from a container' } } });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.result, { text: 'from a container' });
    const log = await call(gw.url, 'GET', '/admin/audit?event=tool.call&limit=1000', { token: admin });
    const line = log.body.entries.find((e: { data?: { call_id?: string } }) => e.data?.call_id === res.body.call_id);
    assert.equal(line?.data?.backend, 'docker');
  });

  test('inside the two-layer worker (issue 15), js.eval code has no Node API at all: reaching for fs, child_process or net throws', async () => {
    // the container's own restrictions (uid 65534, CapEff 0, EROFS, EPERM for spawn and AF_INET)
    // are proven for code that escaped its isolate by docker-hostile and docker-node-controls
    const res = await evalCall(`return process.getBuiltinModule('node:child_process').spawnSync(${JSON.stringify(NODE_PATH_IN_IMAGE)}, ['-e', '1']);`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.status, 'error', JSON.stringify(res.body));
    assert.equal(res.body.error.code, 'TOOL_ERR_THROWN');
    const seen = await evalCall(`return ['process', 'require', 'fetch', 'setTimeout', 'Buffer'].filter((n) => typeof globalThis[n] !== 'undefined');`);
    assert.deepEqual(seen.body.result, []);
  });

  test('an infinite loop in a container → SBX_ERR_TIMEOUT; the next call works', async () => {
    const res = await evalCall('for(;;){}');
    assert.equal(res.body.status, 'error');
    assert.equal(res.body.error.code, 'SBX_ERR_TIMEOUT');
    const next = await call(gw.url, 'POST', '/tools/call', { token: agent, body: { tool: 'echo', args: { text: 'again' } } });
    assert.deepEqual(next.body.result, { text: 'again' });
  });

  test('an output flood → SBX_ERR_OUTPUT_TOO_LARGE', async () => {
    const res = await evalCall('return "y".repeat(2 * 1024 * 1024)');
    assert.equal(res.body.status, 'error');
    assert.equal(res.body.error.code, 'SBX_ERR_OUTPUT_TOO_LARGE');
  });
});

describe('a docker-only tool when Docker is unavailable', () => {
  test('is refused with 503 and never falls back to the isolate', async () => {
    const { mkdtempSync, mkdirSync, writeFileSync, readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const toolsDir = mkdtempSync(join(tmpdir(), 'palisade-tools-'));
    mkdirSync(join(toolsDir, 'echo.docker'));
    const manifest = JSON.parse(readFileSync('sandbox/actions/echo/manifest.json', 'utf8'));
    writeFileSync(join(toolsDir, 'echo.docker', 'manifest.json'), JSON.stringify({ ...manifest, name: 'echo.docker', backend: 'docker' }));
    writeFileSync(join(toolsDir, 'echo.docker', 'handler.js'), readFileSync('sandbox/actions/echo/handler.js', 'utf8'));
    const gw = await startGateway({ env: { PALISADE_SANDBOX_BACKEND: 'isolate', PALISADE_TOOLS_DIR: toolsDir } });
    try {
      const admin = (await loginAdmin(gw.url)).token;
      const agent = await createAgent(gw.url, admin, 'needs-docker', ['echo.docker']);
      const res = await call(gw.url, 'POST', '/tools/call', { token: agent, body: { tool: 'echo.docker', args: { text: 'x' } } });
      assert.equal(res.status, 503);
      assert.equal(res.body.code, 'GW_ERR_BACKEND_UNAVAILABLE');
      const ready = await call(gw.url, 'GET', '/health/ready');
      assert.equal(ready.body.backends.docker, 'disabled');
    } finally {
      await gw.stop(true);
    }
  });
});
