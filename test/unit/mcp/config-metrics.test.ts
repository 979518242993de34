/** PALISADE_MCP_APPROVAL_WAIT_SECONDS parsing, and the bounded labels of palisade_mcp_requests_total. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../../agent-gateway/config.ts';
import { mcpMethodOf, mcpOutcomeOf } from '../../../agent-gateway/http/routes/mcp.ts';
import { createMetrics } from '../../../agent-gateway/metrics/metrics.ts';

const base = { PALISADE_DATA_DIR: '/tmp/palisade-mcp-config-test' };

test('the approval wait defaults to 0 and accepts 0..600', () => {
  const d = parseConfig(base);
  assert.ok(d.ok);
  assert.equal(d.ok && d.config.mcpApprovalWaitSeconds, 0);
  for (const v of ['0', '1', '600']) {
    const r = parseConfig({ ...base, PALISADE_MCP_APPROVAL_WAIT_SECONDS: v });
    assert.ok(r.ok, v);
    assert.equal(r.ok && r.config.mcpApprovalWaitSeconds, Number(v));
  }
});

test('an approval wait outside 0..600 or not an integer stops the start with a clear problem', () => {
  for (const v of ['601', '-1', '1.5', 'ten', '1e3']) {
    const r = parseConfig({ ...base, PALISADE_MCP_APPROVAL_WAIT_SECONDS: v });
    assert.equal(r.ok, false, v);
    assert.ok(!r.ok && r.problems.some((p) => p.startsWith('PALISADE_MCP_APPROVAL_WAIT_SECONDS: must be an integer from 0 to 600')), v);
  }
});

test('method label: the JSON-RPC method, batch or invalid; outcome: the tool outcome, else from the status', () => {
  assert.equal(mcpMethodOf({ jsonrpc: '2.0', id: 1, method: 'tools/call' }), 'tools/call');
  assert.equal(mcpMethodOf([{ method: 'tools/list' }]), 'batch');
  assert.equal(mcpMethodOf('x'), 'invalid');
  assert.equal(mcpMethodOf({ method: 5 }), 'invalid');
  assert.equal(mcpMethodOf(undefined), 'invalid');
  const caller = { agent: { agentId: 'a', tools: [], expiresAt: 0 }, requestId: 'r' };
  assert.equal(mcpOutcomeOf(200, { ...caller, outcome: 'pending' }), 'pending');
  assert.equal(mcpOutcomeOf(200, caller), 'ok');
  assert.equal(mcpOutcomeOf(401, undefined), 'refused');
  assert.equal(mcpOutcomeOf(403, undefined), 'refused');
  assert.equal(mcpOutcomeOf(413, undefined), 'refused');
  assert.equal(mcpOutcomeOf(400, undefined), 'protocol_error');
  assert.equal(mcpOutcomeOf(500, undefined), 'internal');
});

test('palisade_mcp_requests_total never takes a label value a client chose', async () => {
  const m = createMetrics();
  m.mcpRequest('tools/call', 'ok');
  m.mcpRequest('evil/<script>', 'ok');
  m.mcpRequest('tools/list', 'made-up');
  const text = await m.text();
  assert.match(text, /palisade_mcp_requests_total\{method="tools\/call",outcome="ok"\} 1/);
  assert.match(text, /palisade_mcp_requests_total\{method="other",outcome="ok"\} 1/);
  assert.match(text, /palisade_mcp_requests_total\{method="tools\/list",outcome="other"\} 1/);
  assert.doesNotMatch(text, /evil|made-up/);
});
