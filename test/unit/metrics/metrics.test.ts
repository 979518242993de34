import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { register as globalRegistry } from 'prom-client';
import { createMetrics } from '../../../agent-gateway/metrics/metrics.ts';
import { boundTool } from '../../../agent-gateway/metrics/labels.ts';

function lines(text: string, name: string): string[] {
  return text.split('\n').filter((l) => l.startsWith(name));
}

function populated() {
  const m = createMetrics({ knownTools: ['js.eval', 'fs.read'], knownRoutes: ['/tools/call', '/approvals/:id'] });
  m.toolCall('js.eval', 'ok');
  m.toolCall('js.eval', 'ok');
  m.toolCall('evil"} 1\nfake_metric 2', 'error');
  m.validationError('fs.read');
  m.policyDecision('deny');
  m.policyDecision('require_approval');
  m.approvalsPending(3);
  m.workerHealthy('isolate', true);
  m.workerHealthy('docker', false);
  m.toolCallDuration('js.eval', 'isolate', 0.0007);
  m.toolCallDuration('js.eval', 'isolate', 42);
  m.auditWrite(0.002);
  m.rateLimited('/tools/call');
  m.httpRequest('POST', '/tools/call', 200);
  m.httpRequest('GET', '/approvals/:id', 404);
  return m;
}

test('uses its own registry and leaves the global prom-client registry empty', async () => {
  const before = await globalRegistry.metrics();
  const a = createMetrics();
  const b = createMetrics();
  a.toolCall('x', 'ok');
  assert.notEqual(a.registry, globalRegistry);
  assert.notEqual(a.registry, b.registry, 'two instances do not collide on metric names');
  assert.equal(await globalRegistry.metrics(), before);
});

test('records every gateway metric with the expected names and labels', async () => {
  const text = await populated().text();
  assert.deepEqual(lines(text, 'palisade_tool_calls_total{'), [
    'palisade_tool_calls_total{tool="js.eval",outcome="ok"} 2',
    'palisade_tool_calls_total{tool="unknown",outcome="error"} 1',
  ]);
  assert.deepEqual(lines(text, 'palisade_validation_errors_total{'), ['palisade_validation_errors_total{tool="fs.read"} 1']);
  assert.deepEqual(lines(text, 'palisade_policy_decisions_total{'), [
    'palisade_policy_decisions_total{effect="deny"} 1', 'palisade_policy_decisions_total{effect="require_approval"} 1',
  ]);
  assert.deepEqual(lines(text, 'palisade_approvals_pending '), ['palisade_approvals_pending 3']);
  assert.deepEqual(lines(text, 'palisade_worker_healthy{'), ['palisade_worker_healthy{backend="isolate"} 1', 'palisade_worker_healthy{backend="docker"} 0']);
  assert.ok(text.includes('palisade_tool_call_duration_seconds_bucket{le="0.0005",tool="js.eval",backend="isolate"} 0'));
  assert.ok(text.includes('palisade_tool_call_duration_seconds_bucket{le="0.001",tool="js.eval",backend="isolate"} 1'));
  assert.ok(text.includes('palisade_tool_call_duration_seconds_bucket{le="60",tool="js.eval",backend="isolate"} 2'));
  assert.ok(text.includes('palisade_tool_call_duration_seconds_count{tool="js.eval",backend="isolate"} 2'));
  assert.ok(text.includes('palisade_audit_write_seconds_count 1'));
  assert.deepEqual(lines(text, 'palisade_rate_limited_total{'), ['palisade_rate_limited_total{route="/tools/call"} 1']);
  assert.deepEqual(lines(text, 'palisade_http_requests_total{'), [
    'palisade_http_requests_total{method="POST",route="/tools/call",status="200"} 1',
    'palisade_http_requests_total{method="GET",route="/approvals/:id",status="404"} 1',
  ]);
});

test('never echoes client text into a label value', async () => {
  const m = createMetrics({ knownTools: ['js.eval'], knownRoutes: ['/tools/call'] });
  const hostile = 'x"} 1\n# TYPE pwned counter\npwned 1';
  m.toolCall(hostile, hostile as never);
  m.validationError(hostile);
  m.policyDecision(hostile);
  m.workerHealthy(hostile, true);
  m.toolCallDuration(hostile, hostile, 1);
  m.rateLimited('/tools/call?x=1');
  m.httpRequest(hostile, '/admin/users/alice', 999);
  m.httpRequest('get', hostile, 200);
  const text = await m.text();
  assert.equal(text.includes('pwned'), false);
  assert.equal(text.includes('alice'), false);
  assert.ok(text.includes('palisade_tool_calls_total{tool="unknown",outcome="other"} 1'));
  assert.ok(text.includes('palisade_http_requests_total{method="OTHER",route="unmatched",status="other"} 1'));
  assert.ok(text.includes('palisade_rate_limited_total{route="unmatched"} 1'));
  assert.ok(text.includes('palisade_worker_healthy{backend="other"} 1'));
});

test('boundTool keeps registered names and maps everything else to unknown', () => {
  assert.equal(boundTool('js.eval', ['js.eval']), 'js.eval');
  assert.equal(boundTool('js.eval', new Set(['js.eval'])), 'js.eval');
  assert.equal(boundTool('js.evil', ['js.eval']), 'unknown');
  assert.equal(boundTool(42, ['42']), 'unknown');
  assert.equal(boundTool('__proto__', []), 'unknown');
});

test('setKnownTools changes which tool names are recorded', async () => {
  const m = createMetrics();
  m.toolCall('late.tool', 'ok');
  m.setKnownTools(['late.tool']);
  m.toolCall('late.tool', 'ok');
  const text = await m.text();
  assert.ok(text.includes('palisade_tool_calls_total{tool="unknown",outcome="ok"} 1'));
  assert.ok(text.includes('palisade_tool_calls_total{tool="late.tool",outcome="ok"} 1'));
});

test('negative or non-finite observations are clamped to zero, not recorded as NaN', async () => {
  const m = createMetrics({ knownTools: ['t'] });
  m.toolCallDuration('t', 'isolate', Number.NaN);
  m.auditWrite(-5);
  m.approvalsPending(Number.POSITIVE_INFINITY);
  const text = await m.text();
  assert.equal(/NaN|Inf/.test(text.replace(/le="\+Inf"/g, '')), false);
  assert.ok(text.includes('palisade_approvals_pending 0'));
});

const promtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
const havePromtool = promtool.error === undefined && promtool.status === 0;
const inCi = process.env['CI'] === 'true';

test('promtool check metrics accepts the exposition text', { skip: !havePromtool && !inCi ? 'promtool not on PATH (apt-get install prometheus)' : false }, async () => {
  assert.ok(havePromtool, 'promtool must be installed in CI');
  const text = await populated().text();
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, `promtool failed:\n${r.stdout}\n${r.stderr}`);
  assert.equal(`${r.stdout}${r.stderr}`.trim(), '', 'no lint warnings');
});
