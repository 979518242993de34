/**
 * No silent degradation (issue 18 item 5): with PALISADE_SANDBOX_BACKEND=auto and no reachable
 * Docker daemon, the start logs ONE warn line naming the active backend per risk class and why,
 * /health/ready shows the same routing, and js.eval (high risk, prefer-docker) runs in the isolate.
 * The daemon is made unreachable for this process only (DOCKER_HOST at a socket that does not exist).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from '../../agent-gateway/logger.ts';
import { call, createAgent, loginAdmin, startGateway } from '../support/gateway.ts';

test('auto mode without Docker: one start-up line per risk class and why, the same routing in /health/ready', async (t) => {
  const saved = process.env['DOCKER_HOST'];
  process.env['DOCKER_HOST'] = 'unix:///nonexistent/palisade-test-docker.sock';
  t.after(() => (saved === undefined ? delete process.env['DOCKER_HOST'] : (process.env['DOCKER_HOST'] = saved)));
  const lines: Array<{ level: string; msg: string }> = [];
  const logger = createLogger('info', (line) => void lines.push(JSON.parse(line) as { level: string; msg: string }));
  const gw = await startGateway({ env: { PALISADE_SANDBOX_BACKEND: 'auto' }, logger });
  t.after(() => gw.stop(true));

  const routing = lines.filter((l) => l.msg.startsWith('sandbox: '));
  assert.equal(routing.length, 1, JSON.stringify(routing));
  assert.equal(routing[0]?.level, 'warn');
  assert.match(routing[0]?.msg ?? '', /^sandbox: docker: unavailable \(Docker daemon unreachable: .*nonexistent.*\) → low-risk tools run in isolate, high-risk tools run in isolate$/);

  const ready = await call(gw.url, 'GET', '/health/ready');
  assert.equal(ready.status, 200);
  assert.equal(ready.body.backends.docker.state, 'down');
  assert.equal(ready.body.backends.docker.healthy, false);
  assert.deepEqual(ready.body.routing.by_risk, { low: 'isolate', high: 'isolate' });
  assert.equal(`sandbox: ${ready.body.routing.summary}`, routing[0]?.msg);

  const admin = (await loginAdmin(gw.url)).token;
  const agent = await createAgent(gw.url, admin, 'router', ['js.eval']);
  await call(gw.url, 'PUT', '/admin/policy', { token: admin, body: { rules: [{ id: 'ok', effect: 'allow', agents: ['router'], tools: ['js.eval'] }] } });
  const res = await call(gw.url, 'POST', '/tools/call', { token: agent, body: { tool: 'js.eval', args: { code: 'return 7' } } });
  assert.deepEqual([res.status, res.body.result], [200, 7], res.text);
});
