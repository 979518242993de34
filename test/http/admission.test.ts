/**
 * One admission function for every caller: deny bodies and audit entries name the deciding
 * rule, a circuit-breaker trip is audited as its own event, and approving a queued call
 * re-runs admission (agent gone, scope gone, policy now deny, tool definition changed).
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { call, createAgent, loginAdmin, startGateway, tempDir, type TestGateway } from '../support/gateway.ts';

type Entry = { type: string; outcome: string; data?: Record<string, unknown> };
const auditOf = async (gw: TestGateway, admin: string, event: string): Promise<Entry[]> => {
  const res = await call(gw.url, 'GET', `/admin/audit?event=${event}&limit=1000`, { token: admin });
  assert.equal(res.status, 200, res.text);
  return res.body.entries;
};

describe('admission: rules named, breaker trips audited', () => {
  let gw: TestGateway;
  let admin: string;
  before(async () => {
    gw = await startGateway();
    admin = (await loginAdmin(gw.url)).token;
  });
  after(() => gw.stop(true));

  test('a circuit-breaker trip is audited as agent.paused, naming the step and rule that tripped it', async () => {
    const pest = await createAgent(gw.url, admin, 'tripper', ['echo']);
    for (let i = 0; i < 10; i++) {
      const res = await call(gw.url, 'POST', '/tools/call', { token: pest, body: { tool: 'hash.digest', args: {} } });
      assert.equal(res.body.code, 'GW_ERR_TOOL_NOT_IN_SCOPE');
    }
    const paused = await call(gw.url, 'POST', '/tools/call', { token: pest, body: { tool: 'echo', args: { text: 'x' } } });
    assert.equal(paused.body.code, 'GW_ERR_AGENT_PAUSED');
    const trips = (await auditOf(gw, admin, 'agent.paused')).filter((e) => e.data?.['agent_id'] === 'tripper');
    assert.equal(trips.length, 1, 'exactly one pause event, on the denial that opened the breaker');
    assert.equal(trips[0]?.data?.['step'], 'scope');
    assert.equal(trips[0]?.data?.['rule_id'], 'default');
    assert.match(String(trips[0]?.data?.['paused_until']), /^\d{4}-\d\d-\d\dT/);
  });

  test('every deny body and every audited decision names its rule (rule_id; "default" when no policy rule decided)', async () => {
    const bot = await createAgent(gw.url, admin, 'ruled', ['echo']);
    const scope = await call(gw.url, 'POST', '/tools/call', { token: bot, body: { tool: 'hash.digest', args: {} } });
    assert.equal(scope.status, 403);
    assert.equal(scope.body.rule_id, 'default');
    const invalid = await call(gw.url, 'POST', '/tools/call', { token: bot, body: { tool: 'echo', args: { text: 1 } } });
    assert.equal(invalid.status, 422);
    assert.equal(invalid.body.rule_id, 'default');
    assert.equal((await call(gw.url, 'PUT', '/admin/policy', {
      token: admin, body: { rules: [{ id: 'no-echo', effect: 'deny', agents: ['ruled'], tools: ['echo'] }] },
    })).status, 200);
    const denied = await call(gw.url, 'POST', '/tools/call', { token: bot, body: { tool: 'echo', args: { text: 'x' } } });
    assert.equal(denied.body.rule_id, 'no-echo');
    await call(gw.url, 'PUT', '/admin/policy', { token: admin, body: { rules: [] } });
    const ok = await call(gw.url, 'POST', '/tools/call', { token: bot, body: { tool: 'echo', args: { text: 'x' } } });
    assert.equal(ok.status, 200);
    const mine = (await auditOf(gw, admin, 'tool.call')).filter((e) => e.data?.['agent_id'] === 'ruled');
    assert.ok(mine.length >= 4);
    for (const e of mine) assert.equal(typeof e.data?.['rule_id'], 'string', JSON.stringify(e));
    assert.deepEqual(mine.map((e) => e.data?.['rule_id']).sort(), ['default', 'default', 'default:allow', 'no-echo']);
  });
});

test('an agent cannot tell an unknown tool from an out-of-scope one: both 403 GW_ERR_TOOL_NOT_IN_SCOPE, same body', async () => {
  const gw = await startGateway();
  try {
    const admin = (await loginAdmin(gw.url)).token;
    const bot = await createAgent(gw.url, admin, 'prober', ['echo', 'text.*']);
    const ask = (tool: string) => call(gw.url, 'POST', '/tools/call', { token: bot, body: { tool, args: {} } });
    const exists = await ask('hash.digest');
    const nowhere = await ask('no.such.tool');
    for (const res of [exists, nowhere]) {
      assert.equal(res.status, 403);
      assert.equal(res.body.code, 'GW_ERR_TOOL_NOT_IN_SCOPE');
    }
    const strip = (b: Record<string, unknown>) => ({ ...b, request_id: 'X' });
    assert.deepEqual(strip(nowhere.body), strip(exists.body), 'the two refusals are indistinguishable');
    assert.deepEqual([...nowhere.headers.keys()].sort(), [...exists.headers.keys()].sort());
    // inside its own scope the agent may learn that a name is unknown: GET /tools lists that scope anyway
    const inScopeUnknown = await ask('text.nosuch');
    assert.equal(inScopeUnknown.status, 404);
    assert.equal(inScopeUnknown.body.code, 'GW_ERR_TOOL_NOT_FOUND');
  } finally {
    await gw.stop(true);
  }
});

describe('approve re-runs admission for the stored call', () => {
  let gw: TestGateway;
  let admin: string;
  before(async () => {
    gw = await startGateway();
    admin = (await loginAdmin(gw.url)).token;
  });
  after(() => gw.stop(true));

  const queue = async (token: string, n: number) => {
    const res = await call(gw.url, 'POST', '/tools/call', { token, body: { tool: 'js.eval', args: { code: 'return input.n * 2', input: { n } } } });
    assert.equal(res.status, 202, res.text);
    return res.body as { approval_id: string; call_id: string };
  };
  const statusOf = async (id: string) => (await call(gw.url, 'GET', `/approvals/${id}`, { token: admin })).body.status;

  test('the agent was deleted → 409 GW_ERR_APPROVAL_STALE, nothing decided or run', async () => {
    const bot = await createAgent(gw.url, admin, 'gone', ['js.eval']);
    const q = await queue(bot, 1);
    assert.equal((await call(gw.url, 'DELETE', '/admin/agents/gone', { token: admin })).status, 204);
    const res = await call(gw.url, 'POST', `/approvals/${q.approval_id}/approve`, { token: admin });
    assert.equal(res.status, 409);
    assert.equal(res.body.code, 'GW_ERR_APPROVAL_STALE');
    assert.equal(await statusOf(q.approval_id), 'pending');
    const rec = await call(gw.url, 'GET', `/tools/calls/${q.call_id}`, { token: admin });
    assert.equal(rec.body.status, 'pending_approval', 'the call never ran');
    const denied = (await auditOf(gw, admin, 'approval.approve')).find((e) => e.data?.['approval_id'] === q.approval_id);
    assert.equal(denied?.outcome, 'denied');
    assert.equal(denied?.data?.['step'], 'agent');
  });

  test('the agent was re-created without the tool in its scope → 403 GW_ERR_TOOL_NOT_IN_SCOPE', async () => {
    const bot = await createAgent(gw.url, admin, 'rescoped', ['js.eval']);
    const q = await queue(bot, 2);
    await call(gw.url, 'DELETE', '/admin/agents/rescoped', { token: admin });
    await createAgent(gw.url, admin, 'rescoped', ['echo']);
    const res = await call(gw.url, 'POST', `/approvals/${q.approval_id}/approve`, { token: admin });
    assert.equal(res.status, 403);
    assert.equal(res.body.code, 'GW_ERR_TOOL_NOT_IN_SCOPE');
    assert.equal(await statusOf(q.approval_id), 'pending');
  });

  test('the policy now denies the call → 403 GW_ERR_POLICY_DENIED naming the rule; allowed again → it runs', async () => {
    const bot = await createAgent(gw.url, admin, 'policed', ['js.eval']);
    const q = await queue(bot, 3);
    assert.equal((await call(gw.url, 'PUT', '/admin/policy', {
      token: admin, body: { rules: [{ id: 'no-eval-now', effect: 'deny', agents: ['policed'], tools: ['js.eval'] }] },
    })).status, 200);
    const res = await call(gw.url, 'POST', `/approvals/${q.approval_id}/approve`, { token: admin });
    assert.equal(res.status, 403);
    assert.equal(res.body.code, 'GW_ERR_POLICY_DENIED');
    assert.equal(res.body.rule_id, 'no-eval-now');
    assert.equal(await statusOf(q.approval_id), 'pending');
    await call(gw.url, 'PUT', '/admin/policy', { token: admin, body: { rules: [] } });
    const ok = await call(gw.url, 'POST', `/approvals/${q.approval_id}/approve`, { token: admin });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.body.call.result, 6);
  });

  test('an approve body carrying args → 422 and they are never used: the stored call runs', async () => {
    const bot = await createAgent(gw.url, admin, 'swapper', ['js.eval']);
    const q = await queue(bot, 5);
    const swap = await call(gw.url, 'POST', `/approvals/${q.approval_id}/approve`, {
      token: admin, body: { args: { code: 'return 999', input: { n: 0 } } },
    });
    assert.equal(swap.status, 422);
    assert.equal(await statusOf(q.approval_id), 'pending');
    const ok = await call(gw.url, 'POST', `/approvals/${q.approval_id}/approve`, { token: admin, body: { note: 'fine' } });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.call.result, 10, 'the stored args ran, not the body\'s');
  });
});

test('a tool whose manifest or handler changed since the call was queued → 409 GW_ERR_TOOL_CHANGED; the new code never runs', async () => {
  const tools = tempDir('palisade-tools-');
  const dir = join(tools, 'ops.stamp');
  mkdirSync(dir);
  cpSync('sandbox/actions/echo/manifest.json', join(dir, 'manifest.json'));
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ ...manifest, name: 'ops.stamp', requires_approval: true }));
  writeFileSync(join(dir, 'handler.js'), 'return { text: "v1:" + args.text };\n');
  const env = { PALISADE_TOOLS_DIR: tools };
  let gw = await startGateway({ env });
  try {
    let admin = (await loginAdmin(gw.url)).token;
    const bot = await createAgent(gw.url, admin, 'stamper', ['ops.stamp']);
    const first = await call(gw.url, 'POST', '/tools/call', { token: bot, body: { tool: 'ops.stamp', args: { text: 'a' } } });
    assert.equal(first.status, 202);
    const second = await call(gw.url, 'POST', '/tools/call', { token: bot, body: { tool: 'ops.stamp', args: { text: 'b' } } });
    assert.equal(second.status, 202);
    const unchanged = await call(gw.url, 'POST', `/approvals/${first.body.approval_id}/approve`, { token: admin });
    assert.equal(unchanged.status, 200, unchanged.text);
    assert.deepEqual(unchanged.body.call.result, { text: 'v1:a' });

    await gw.stop();
    writeFileSync(join(dir, 'handler.js'), 'return { text: "v2:" + args.text };\n');
    gw = await startGateway({ env, dataDir: gw.dataDir });
    admin = (await loginAdmin(gw.url)).token;
    const changed = await call(gw.url, 'POST', `/approvals/${second.body.approval_id}/approve`, { token: admin });
    assert.equal(changed.status, 409);
    assert.equal(changed.body.code, 'GW_ERR_TOOL_CHANGED');
    const rec = await call(gw.url, 'GET', `/tools/calls/${second.body.call_id}`, { token: admin });
    assert.equal(rec.body.status, 'pending_approval', 'the changed handler never ran');
    assert.equal((await call(gw.url, 'GET', `/approvals/${second.body.approval_id}`, { token: admin })).body.status, 'pending');
  } finally {
    await gw.stop(true);
  }
});
