/**
 * Session-aware governance over the real gateway (issue 14): taint rules and cumulative risk
 * decided by the one admission function, over REST and over MCP with the official client,
 * with the state persisted across a gateway restart. The clock is the gateway's injected `now`.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { call, createAgent, loginAdmin, startGateway, tempDir, type TestGateway } from '../support/gateway.ts';
import { connectMcp } from '../support/mcp-client.ts';

function fixtureTool(root: string, name: string, tags: string[], risk = 'low'): void {
  const dir = join(root, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({
    name, description: `fixture ${name}`, risk, requires_approval: false, tags,
    input_schema: { type: 'object', additionalProperties: false, properties: { text: { type: 'string' } } },
    output_schema: { type: 'object' },
  }));
  writeFileSync(join(dir, 'handler.js'), `return { tool: ${JSON.stringify(name)}, text: args.text ?? null };\n`);
}

function toolsDir(): string {
  const root = tempDir('palisade-gov-tools-');
  fixtureTool(root, 'vault.read', ['reads:secret']);
  fixtureTool(root, 'web.post', ['net:egress', 'writes:external']);
  fixtureTool(root, 'note.read', []);
  fixtureTool(root, 'ops.heavy', [], 'medium');
  return root;
}

const TAINT_POLICY = {
  rules: [{ id: 'open', effect: 'allow', agents: ['*'], tools: ['*'] }],
  taint: [{ id: 'no-exfil', on: ['reads:secret'], block: ['writes:external'], window_seconds: 600 }],
};

async function setPolicy(gw: TestGateway, admin: string, doc: unknown): Promise<void> {
  const res = await call(gw.url, 'PUT', '/admin/policy', { token: admin, body: doc });
  assert.equal(res.status, 200, res.text);
}

test('taint: read secret then write external is denied naming the rule and the tainting call; others unaffected; window; restart; MCP', async () => {
  const env = { PALISADE_TOOLS_DIR: toolsDir() };
  let clock = Date.parse('2026-12-02T12:00:00Z');
  let gw = await startGateway({ env, now: () => clock });
  try {
    let admin = (await loginAdmin(gw.url)).token;
    await setPolicy(gw, admin, TAINT_POLICY);
    const scope = ['vault.read', 'web.post', 'note.read'];
    const a = await createAgent(gw.url, admin, 'reader', scope);
    const b = await createAgent(gw.url, admin, 'bystander', scope);
    const run = (token: string, tool: string) => call(gw.url, 'POST', '/tools/call', { token, body: { tool, args: { text: 'x' } } });

    const tools = await call(gw.url, 'GET', '/tools', { token: a });
    assert.deepEqual(tools.body.tools.find((t: { name: string }) => t.name === 'web.post').tags, ['net:egress', 'writes:external']);

    assert.equal((await run(a, 'web.post')).status, 200, 'before any secret read the write is allowed');
    const read = await run(a, 'vault.read');
    assert.equal(read.status, 200);
    const denied = await run(a, 'web.post');
    assert.equal(denied.status, 403, denied.text);
    assert.equal(denied.body.code, 'GW_ERR_POLICY_DENIED');
    assert.equal(denied.body.rule_id, 'no-exfil');
    assert.equal(denied.body.tainted_by, read.body.call_id);
    assert.equal((await run(a, 'note.read')).status, 200, 'an untagged tool stays allowed while tainted');
    assert.equal((await run(b, 'web.post')).status, 200, 'another agent is not tainted');

    const auditRes = await call(gw.url, 'GET', '/admin/audit?event=tool.call&limit=100', { token: admin });
    assert.equal(auditRes.status, 200, auditRes.text);
    const entries: Array<{ outcome: string; data: Record<string, unknown> }> = auditRes.body.entries;
    const line = entries.find((e) => e.outcome === 'denied' && e.data['rule_id'] === 'no-exfil');
    assert.ok(line, 'the taint denial is audited with its rule id');
    assert.equal(line.data['tainted_by'], read.body.call_id);
    assert.match(String(line.data['policy_version']), /^[0-9a-f]{64}$/);
    const ok = entries.find((e) => e.outcome === 'ok' && e.data['call_id'] === read.body.call_id);
    assert.equal(ok?.data['policy_version'], line.data['policy_version'], 'one document, one version');

    // MCP: the same pipeline, the same decision
    const mcp = await connectMcp(gw.url, a);
    try {
      const listed = await mcp.listTools();
      assert.deepEqual(listed.tools.find((t) => t.name === 'vault.read')?._meta?.['tags'], ['reads:secret']);
      const r = await mcp.callTool({ name: 'web.post', arguments: { text: 'x' } });
      assert.equal(r.isError, true);
      const sc = r.structuredContent as Record<string, unknown>;
      assert.equal(sc['code'], 'GW_ERR_POLICY_DENIED');
      assert.equal(sc['rule_id'], 'no-exfil');
      assert.equal(sc['tainted_by'], read.body.call_id);
    } finally {
      await mcp.close();
    }

    // the taint is security state: it survives a restart
    clock += 300_000;
    await gw.stop();
    gw = await startGateway({ env, dataDir: gw.dataDir, now: () => clock });
    admin = (await loginAdmin(gw.url)).token;
    const afterRestart = await run(a, 'web.post');
    assert.equal(afterRestart.status, 403, 'still tainted after a restart');
    assert.equal(afterRestart.body.tainted_by, read.body.call_id);

    // past the window the write is allowed again
    clock += 300_001;
    assert.equal((await run(a, 'web.post')).status, 200, 'allowed once the window has passed');
  } finally {
    await gw.stop(true);
  }
});

test('risk: past escalate_at an allow becomes pending, past deny_at every call is denied, approved calls count, the window slides', async () => {
  let clock = Date.parse('2026-12-02T12:00:00Z');
  const gw = await startGateway({ env: { PALISADE_TOOLS_DIR: toolsDir() }, now: () => clock });
  try {
    const admin = (await loginAdmin(gw.url)).token;
    await setPolicy(gw, admin, {
      rules: [{ id: 'open', effect: 'allow', agents: ['*'], tools: ['*'] }],
      risk: { scores: { low: 0, medium: 10, high: 30, critical: 100 }, window_seconds: 60, escalate_at: 20, deny_at: 30 },
    });
    const bot = await createAgent(gw.url, admin, 'spender', ['ops.heavy', 'note.read']);
    const run = (tool: string) => call(gw.url, 'POST', '/tools/call', { token: bot, body: { tool, args: {} } });
    assert.equal((await run('ops.heavy')).status, 200, '10');
    assert.equal((await run('ops.heavy')).status, 200, '20: not past escalate_at');
    const third = await run('ops.heavy');
    assert.equal(third.status, 202, '30 is past escalate_at: pending');
    assert.equal(third.body.rule_id, 'risk:escalate');
    assert.equal((await run('note.read')).status, 200, 'a zero-score call is still allowed (20 + 0)');
    const approved = await call(gw.url, 'POST', `/approvals/${third.body.approval_id}/approve`, { token: admin });
    assert.equal(approved.status, 200, approved.text);
    // the approved call ran, so its 10 points count: 30 + 10 > deny_at
    const fourth = await run('ops.heavy');
    assert.equal(fourth.status, 403, fourth.text);
    assert.equal(fourth.body.rule_id, 'risk:deny');
    clock += 61_000;
    assert.equal((await run('ops.heavy')).status, 200, 'the window slid: the score is back to 0');
  } finally {
    await gw.stop(true);
  }
});

test('a policy with an unknown taint tag or escalate_at above deny_at is refused (422); an old document is accepted unchanged', async () => {
  const gw = await startGateway();
  try {
    const admin = (await loginAdmin(gw.url)).token;
    const bad = await call(gw.url, 'PUT', '/admin/policy', { token: admin, body: { rules: [], taint: [{ id: 't', on: ['reads:everything'], block: ['writes:external'], window_seconds: 60 }] } });
    assert.equal(bad.status, 422, bad.text);
    const inverted = await call(gw.url, 'PUT', '/admin/policy', {
      token: admin, body: { rules: [], risk: { scores: { low: 1, medium: 2, high: 3, critical: 4 }, window_seconds: 60, escalate_at: 50, deny_at: 10 } },
    });
    assert.equal(inverted.status, 422, inverted.text);
    const old = { rules: [{ id: 'r1', effect: 'allow', agents: ['*'], tools: ['echo'] }] };
    await setPolicy(gw, admin, old);
    const shown = await call(gw.url, 'GET', '/admin/policy', { token: admin });
    assert.deepEqual(shown.body.rules ?? shown.body.doc?.rules, old.rules);
  } finally {
    await gw.stop(true);
  }
});

test('/tools/check gives the decision the real call then gets (allow, scope, policy, taint, risk, approval) and executes nothing', async () => {
  let clock = Date.parse('2026-12-02T12:00:00Z');
  const gw = await startGateway({ env: { PALISADE_TOOLS_DIR: toolsDir() }, now: () => clock });
  try {
    const admin = (await loginAdmin(gw.url)).token;
    await setPolicy(gw, admin, {
      rules: [
        { id: 'open', effect: 'allow', agents: ['*'], tools: ['vault.read', 'web.post', 'note.read', 'ops.heavy'] },
        { id: 'no-note-x', effect: 'deny', agents: ['*'], tools: ['note.read'], when: { arg: 'text', equals: 'x' } },
        { id: 'ask-eval', effect: 'require_approval', agents: ['*'], tools: ['js.eval'] },
      ],
      taint: [{ id: 'no-exfil', on: ['reads:secret'], block: ['writes:external'], window_seconds: 600 }],
      risk: { scores: { low: 0, medium: 10, high: 10, critical: 100 }, window_seconds: 60, escalate_at: 15, deny_at: 15 },
    });
    const bot = await createAgent(gw.url, admin, 'planner', ['vault.read', 'web.post', 'note.read', 'ops.heavy', 'js.eval']);
    const check = async (calls: unknown[]) => {
      const res = await call(gw.url, 'POST', '/tools/check', { token: bot, body: { calls } });
      assert.equal(res.status, 200, res.text);
      return res.body.decisions as Array<{ tool: string; decision: string; rule_id: string; risk: unknown; reasons: string[]; tainted_by?: string }>;
    };
    const real = (tool: string, args: unknown) => call(gw.url, 'POST', '/tools/call', { token: bot, body: { tool, args } });
    const asDecision = (status: number) => (status === 200 ? 'allow' : status === 202 ? 'require_approval' : 'deny');
    const auditCount = async (event: string) =>
      (await call(gw.url, 'GET', `/admin/audit?event=${event}&limit=1000`, { token: admin })).body.entries.length as number;

    const cases: Array<[string, unknown]> = [
      ['note.read', { text: 'ok' }], // allow
      ['echo', { text: 'hi' }], // not in scope
      ['note.read', { text: 'x' }], // policy deny
      ['js.eval', { code: 'return 1' }], // require approval
    ];
    const before = await auditCount('tool.call');
    const first = await check(cases.map(([tool, args]) => ({ tool, args })));
    assert.deepEqual(first.map((d) => [d.decision, d.rule_id]), [
      ['allow', 'open'], ['deny', 'default'], ['deny', 'no-note-x'], ['require_approval', 'ask-eval'],
    ]);
    assert.equal(await auditCount('tool.call'), before, 'a check writes no tool.call entry');
    assert.ok(await auditCount('tool.check') >= 1, 'the check is audited as tool.check');
    const calls = await call(gw.url, 'GET', '/admin/approvals?status=pending', { token: admin });
    assert.equal((calls.body.items ?? calls.body.approvals ?? []).length, 0, 'nothing was queued by the check');
    for (const [i, [tool, args]] of cases.entries()) {
      const r = await real(tool, args);
      assert.equal(asDecision(r.status), first[i]?.decision, `${tool}: the real call gets the checked decision`);
      if (r.status !== 200) assert.equal(r.body.rule_id, first[i]?.rule_id);
    }

    // taint: checking the write after a secret read predicts the deny, and checking changed nothing
    const read = await real('vault.read', { text: 'k' });
    assert.equal(read.status, 200);
    const [taint] = await check([{ tool: 'web.post', args: {} }]);
    assert.equal(taint?.decision, 'deny');
    assert.equal(taint?.rule_id, 'no-exfil');
    assert.equal(taint?.tainted_by, read.body.call_id);
    const realTaint = await real('web.post', {});
    assert.equal(realTaint.status, 403);
    assert.equal(realTaint.body.rule_id, 'no-exfil');

    // risk: checks never count; the real call that would pass deny_at is predicted
    clock += 700_000;
    const heavy = await check([{ tool: 'ops.heavy', args: {} }, { tool: 'ops.heavy', args: {} }]);
    assert.deepEqual(heavy.map((d) => d.decision), ['allow', 'allow'], 'checks do not accumulate');
    assert.equal((await real('ops.heavy', {})).status, 200);
    const [risky] = await check([{ tool: 'ops.heavy', args: {} }]);
    assert.equal(risky?.decision, 'deny');
    assert.equal(risky?.rule_id, 'risk:deny');
    assert.deepEqual(risky?.risk, { level: 'medium', points: 10, score: 10 });
    const realRisk = await real('ops.heavy', {});
    assert.equal(realRisk.status, 403);
    assert.equal(realRisk.body.rule_id, 'risk:deny');

    const tooMany = await call(gw.url, 'POST', '/tools/check', { token: bot, body: { calls: Array.from({ length: 33 }, () => ({ tool: 'echo', args: {} })) } });
    assert.equal(tooMany.status, 422);
    const adminTry = await call(gw.url, 'POST', '/tools/check', { token: admin, body: { calls: [{ tool: 'echo', args: {} }] } });
    assert.equal(adminTry.status, 403);
  } finally {
    await gw.stop(true);
  }
});

test('receipts: a 200 carries a receipt that verifies with GET /receipts/key over REST and MCP; the same key after a restart', async () => {
  const { verifyReceipt } = await import('../../agent-gateway/receipts/receipt.ts');
  let gw = await startGateway();
  try {
    let admin = (await loginAdmin(gw.url)).token;
    const bot = await createAgent(gw.url, admin, 'signer', ['echo']);
    const key = await call(gw.url, 'GET', '/receipts/key');
    assert.equal(key.status, 200);
    assert.equal(key.body.alg, 'Ed25519');
    const res = await call(gw.url, 'POST', '/tools/call', { token: bot, body: { tool: 'echo', args: { text: 'r' } } });
    assert.equal(res.status, 200, res.text);
    const r = res.body.receipt;
    assert.equal(r.call_id, res.body.call_id);
    assert.equal(r.kid, key.body.kid);
    assert.deepEqual(verifyReceipt(r, key.body.public_key), { ok: true });
    const flipped = verifyReceipt({ ...r, tool: 'js.eval' }, key.body.public_key);
    assert.equal(flipped.ok, false);
    const mcp = await connectMcp(gw.url, bot);
    try {
      const out = await mcp.callTool({ name: 'echo', arguments: { text: 'm' } });
      const mr = (out._meta as Record<string, unknown>)['receipt'];
      assert.deepEqual(verifyReceipt(mr, key.body.public_key), { ok: true });
    } finally {
      await mcp.close();
    }
    await gw.stop();
    gw = await startGateway({ dataDir: gw.dataDir });
    admin = (await loginAdmin(gw.url)).token;
    assert.equal((await call(gw.url, 'GET', '/receipts/key')).body.kid, key.body.kid, 'the key file is reused');
  } finally {
    await gw.stop(true);
  }
});

test('GET /admin/agents/:id shows the live risk_score and taint of the agent\'s principal, its parent and chain; the list shows the parent', async () => {
  let clock = Date.parse('2026-12-02T12:00:00Z');
  const gw = await startGateway({ env: { PALISADE_TOOLS_DIR: toolsDir() }, now: () => clock });
  try {
    const admin = (await loginAdmin(gw.url)).token;
    await setPolicy(gw, admin, {
      ...TAINT_POLICY,
      risk: { scores: { low: 1, medium: 10, high: 30, critical: 100 }, window_seconds: 60, escalate_at: 50, deny_at: 100 },
    });
    const lead = await createAgent(gw.url, admin, 'lead', ['vault.read', 'web.post', 'ops.heavy', 'note.read'], 3600);
    await createAgent(gw.url, admin, 'calm', ['note.read']);
    const view = async (id: string) => {
      const res = await call(gw.url, 'GET', `/admin/agents/${id}`, { token: admin });
      assert.equal(res.status, 200, res.text);
      return res.body;
    };
    const fresh = await view('lead');
    assert.equal(fresh.risk_score, 0);
    assert.deepEqual(fresh.tainted, []);
    assert.deepEqual(fresh.risk, { window_seconds: 60, escalate_at: 50, deny_at: 100 });
    assert.equal(fresh.parent, null);
    assert.equal(fresh.principal, 'lead');
    assert.match(fresh.policy_version, /^[0-9a-f]{64}$/);

    const child = await call(gw.url, 'POST', '/agents/delegate', { token: lead, body: { agent_id: 'helper', tools: ['vault.read', 'ops.heavy'], ttl_seconds: 600 } });
    assert.equal(child.status, 201, child.text);
    const helper = String(child.body.token);
    const run = (token: string, tool: string) => call(gw.url, 'POST', '/tools/call', { token, body: { tool, args: { text: 'x' } } });
    assert.equal((await run(lead, 'ops.heavy')).status, 200);
    clock += 10_000;
    const read = await run(helper, 'vault.read');
    assert.equal(read.status, 200, read.text);

    // the child's secret read taints the chain's principal; both views show the same state
    for (const id of ['lead', 'helper']) {
      const v = await view(id);
      assert.equal(v.principal, 'lead', id);
      assert.equal(v.risk_score, 11, `${id}: medium 10 + low 1`);
      assert.deepEqual(v.tainted, [{
        rule_id: 'no-exfil', tainted_by: read.body.call_id, tool: 'vault.read', since: new Date(clock).toISOString(),
        until: new Date(clock + 600_000).toISOString(), blocks: ['writes:external'],
      }], id);
    }
    const h = await view('helper');
    assert.equal(h.parent, 'lead');
    assert.deepEqual(h.chain, ['lead']);
    assert.deepEqual(h.tools, ['vault.read', 'ops.heavy']);
    const other = await view('calm');
    assert.equal(other.risk_score, 0, 'another principal is unaffected');
    assert.deepEqual(other.tainted, []);
    // the view agrees with the decision: the write is denied, naming the same call
    const denied = await run(lead, 'web.post');
    assert.equal(denied.body.tainted_by, read.body.call_id);

    // the risk window slides (60 s), the taint window (600 s) has not
    clock += 55_000;
    const slid = await view('lead');
    assert.equal(slid.risk_score, 1, 'the medium call is out of the window');
    assert.equal(slid.tainted.length, 1);
    clock += 600_000;
    const clean = await view('helper');
    assert.equal(clean.risk_score, 0);
    assert.deepEqual(clean.tainted, []);

    const list = await call(gw.url, 'GET', '/admin/agents', { token: admin });
    const byId = new Map(list.body.agents.map((a: { agent_id: string }) => [a.agent_id, a]));
    assert.equal((byId.get('helper') as { parent: unknown }).parent, 'lead');
    assert.equal((byId.get('lead') as { parent: unknown }).parent, null);

    assert.equal((await call(gw.url, 'GET', '/admin/agents/nobody', { token: admin })).status, 404);
    assert.equal((await call(gw.url, 'GET', '/admin/agents/Bad:Id', { token: admin })).status, 404);
    assert.equal((await call(gw.url, 'GET', '/admin/agents/lead', { token: lead })).status, 403, 'agents cannot read the admin view');
  } finally {
    await gw.stop(true);
  }
});
