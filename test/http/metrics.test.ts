import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { call, createAgent, loginAdmin, startGateway, type TestGateway } from '../support/gateway.ts';

const METRICS_TOKEN = 'metrics-token-0123456789abcdef';

function havePromtool(): boolean {
  return spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status === 0;
}

describe('GET /metrics', () => {
  let gw: TestGateway;
  let admin: string;
  let agent: string;
  before(async () => {
    gw = await startGateway({ env: { PALISADE_METRICS_TOKEN: METRICS_TOKEN } });
    admin = (await loginAdmin(gw.url)).token;
    agent = await createAgent(gw.url, admin, 'metered', ['echo', 'hash.digest']);
    await call(gw.url, 'POST', '/tools/call', { token: agent, body: { tool: 'echo', args: { text: 'x' } } });
    await call(gw.url, 'POST', '/tools/call', { token: agent, body: { tool: 'echo', args: { text: 1 } } });
    await call(gw.url, 'POST', '/tools/call', { token: agent, body: { tool: 'evil"}\nname{', args: {} } });
  });
  after(() => gw.stop(true));

  test('answers admin tokens and the metrics token; refuses other tokens', async () => {
    assert.equal((await call(gw.url, 'GET', '/metrics', { token: admin })).status, 200);
    const res = await call(gw.url, 'GET', '/metrics', { token: METRICS_TOKEN });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/plain/);
    assert.equal((await call(gw.url, 'GET', '/metrics')).status, 401);
    assert.equal((await call(gw.url, 'GET', '/metrics', { token: agent })).status, 403);
    assert.equal((await call(gw.url, 'GET', '/metrics', { token: `${METRICS_TOKEN}x` })).status, 401);
  });

  test('counts calls by tool and outcome, validation errors, decisions, worker health; never echoes unknown names', async () => {
    const text = (await call(gw.url, 'GET', '/metrics', { token: METRICS_TOKEN })).text;
    assert.match(text, /palisade_tool_calls_total\{tool="echo",outcome="ok"\} 1/);
    assert.match(text, /palisade_validation_errors_total\{tool="echo"\} 1/);
    assert.match(text, /palisade_policy_decisions_total\{effect="allow"\} 1/);
    assert.match(text, /palisade_worker_healthy\{backend="isolate"\} 1/);
    assert.match(text, /palisade_tool_call_duration_seconds_bucket/);
    assert.match(text, /palisade_audit_write_seconds_count [1-9]/);
    assert.match(text, /palisade_http_requests_total\{method="POST",route="\/tools\/call",status="200"\}/);
    assert.ok(!text.includes('evil'), 'client-chosen names are never label values');
    assert.match(text, /tool="unknown"/);
  });

  test('promtool check metrics accepts the output', { skip: !havePromtool() && process.env['CI'] !== 'true' ? 'promtool not installed (apt-get install prometheus); CI installs it' : false }, async () => {
    const text = (await call(gw.url, 'GET', '/metrics', { token: METRICS_TOKEN })).text;
    const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    assert.equal(r.error, undefined, 'promtool must be installed in CI');
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  });
});
