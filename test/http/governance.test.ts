import assert from 'node:assert/strict';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, test } from 'node:test';
import { call, createAgent, loginAdmin, startGateway, type TestGateway } from '../support/gateway.ts';

describe('approvals, policy and kill switch', () => {
  let gw: TestGateway;
  let admin: string;
  let second: string;
  let agent: string;
  let clock = Date.now();
  before(async () => {
    gw = await startGateway({ now: () => clock });
    admin = (await loginAdmin(gw.url)).token;
    await call(gw.url, 'POST', '/admin/users', { token: admin, body: { username: 'approver', password: 'approver password', role: 'admin' } });
    second = (await loginAdmin(gw.url, 'approver password', 'approver')).token;
    agent = await createAgent(gw.url, admin, 'bot', ['echo', 'js.eval', 'hash.digest']);
  });
  after(() => gw.stop(true));

  const evalCall = (code: string, token = agent) => call(gw.url, 'POST', '/tools/call', { token, body: { tool: 'js.eval', args: { code, input: { n: 2 } } } });

  test('a high-risk tool with no rule queues for approval: 202 {status, approval_id, call_id}', async () => {
    const res = await evalCall('return input.n + 1');
    assert.equal(res.status, 202);
    assert.equal(res.body.status, 'pending_approval');
    assert.match(res.body.approval_id, /^apr_/);
    const item = await call(gw.url, 'GET', `/approvals/${res.body.approval_id}`, { token: admin });
    assert.equal(item.status, 200);
    for (const k of ['id', 'call_id', 'agent_id', 'tool', 'args', 'args_sha256', 'risk', 'status', 'created_at', 'expires_at']) assert.ok(k in item.body, k);
    assert.equal(item.body.status, 'pending');
    assert.equal(item.body.agent_id, 'bot');
    const own = await call(gw.url, 'GET', `/approvals/${res.body.approval_id}`, { token: agent });
    assert.equal(own.status, 200, 'the requesting agent may read its own item');
    const rec = await call(gw.url, 'GET', `/tools/calls/${res.body.call_id}`, { token: agent });
    assert.equal(rec.body.status, 'pending_approval');
  });

  test('approve runs exactly the stored call; the result is readable at /tools/calls/:id; approving twice → 409', async () => {
    const queued = (await evalCall('return input.n * 21')).body;
    const ok = await call(gw.url, 'POST', `/approvals/${queued.approval_id}/approve`, { token: admin, body: { note: 'looks fine' } });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.call.status, 'ok');
    assert.equal(ok.body.call.result, 42);
    const rec = await call(gw.url, 'GET', `/tools/calls/${queued.call_id}`, { token: agent });
    assert.equal(rec.body.status, 'ok');
    assert.equal(rec.body.result, 42);
    const twice = await call(gw.url, 'POST', `/approvals/${queued.approval_id}/approve`, { token: second });
    assert.equal(twice.status, 409);
  });

  test('the requesting principal cannot approve its own call; agents cannot approve at all', async () => {
    const queued = (await evalCall('return 1')).body;
    const byAgent = await call(gw.url, 'POST', `/approvals/${queued.approval_id}/approve`, { token: agent });
    assert.equal(byAgent.status, 403);
    // An admin-capable requester: the item is recorded as requested by the admin `approver`
    // (as a call an admin starts on an agent's behalf would be). Both deciders pass the admin
    // guard, so the only difference between them is approver ≠ requester.
    const db = new DatabaseSync(join(gw.dataDir, 'palisade.db'));
    try {
      db.prepare('UPDATE approvals SET requested_by = ? WHERE id = ?').run('admin:approver', queued.approval_id);
    } finally {
      db.close();
    }
    const bySelf = await call(gw.url, 'POST', `/approvals/${queued.approval_id}/approve`, { token: second });
    assert.equal(bySelf.status, 403, bySelf.text);
    assert.equal(bySelf.body.code, 'GW_ERR_FORBIDDEN');
    assert.match(String(bySelf.body.detail), /may not approve its own call/);
    assert.equal((await call(gw.url, 'GET', `/approvals/${queued.approval_id}`, { token: admin })).body.status, 'pending', 'the refused approval changed nothing');
    const byOther = await call(gw.url, 'POST', `/approvals/${queued.approval_id}/approve`, { token: admin });
    assert.equal(byOther.status, 200, 'another admin may approve the same item');
    assert.equal(byOther.body.call.result, 1);
  });

  test('reject → the call is rejected; approving a rejected item → 409', async () => {
    const queued = (await evalCall('return 2')).body;
    const rej = await call(gw.url, 'POST', `/approvals/${queued.approval_id}/reject`, { token: admin, body: { note: 'no' } });
    assert.equal(rej.status, 200);
    assert.equal(rej.body.approval.status, 'rejected');
    assert.equal((await call(gw.url, 'POST', `/approvals/${queued.approval_id}/approve`, { token: admin })).status, 409);
    assert.equal((await call(gw.url, 'GET', `/tools/calls/${queued.call_id}`, { token: agent })).body.status, 'rejected');
  });

  test('items expire after timeout_seconds; approving an expired item → 409', async () => {
    assert.equal((await call(gw.url, 'PUT', '/admin/approvals/config', { token: admin, body: { timeout_seconds: 5 } })).status, 422);
    const cfg = await call(gw.url, 'PUT', '/admin/approvals/config', { token: admin, body: { timeout_seconds: 60 } });
    assert.deepEqual(cfg.body, { timeout_seconds: 60 });
    const queued = (await evalCall('return 3')).body;
    clock += 61_000;
    const item = await call(gw.url, 'GET', `/approvals/${queued.approval_id}`, { token: admin });
    assert.equal(item.body.status, 'expired');
    assert.equal((await call(gw.url, 'POST', `/approvals/${queued.approval_id}/approve`, { token: admin })).status, 409);
    const list = await call(gw.url, 'GET', '/approvals?status=expired', { token: admin });
    assert.ok(list.body.items.some((i: { id: string }) => i.id === queued.approval_id));
    assert.equal((await call(gw.url, 'GET', '/approvals?status=bogus', { token: admin })).status, 422);
    await call(gw.url, 'PUT', '/admin/approvals/config', { token: admin, body: { timeout_seconds: 900 } });
  });

  test('policy: deny wins and carries its rule id (403); invalid documents → 422; versions increase', async () => {
    const put = await call(gw.url, 'PUT', '/admin/policy', {
      token: admin,
      body: { rules: [
        { id: 'allow-echo', effect: 'allow', agents: ['*'], tools: ['echo'] },
        { id: 'no-secrets', effect: 'deny', agents: ['bot'], tools: ['echo'], when: { arg: 'text', prefix: 'secret' } },
      ] },
    });
    assert.equal(put.status, 200);
    const denied = await call(gw.url, 'POST', '/tools/call', { token: agent, body: { tool: 'echo', args: { text: 'secret stuff' } } });
    assert.equal(denied.status, 403);
    assert.equal(denied.body.code, 'GW_ERR_POLICY_DENIED');
    assert.equal(denied.body.rule_id, 'no-secrets');
    const allowed = await call(gw.url, 'POST', '/tools/call', { token: agent, body: { tool: 'echo', args: { text: 'hello' } } });
    assert.equal(allowed.status, 200);
    for (const body of [
      { rules: [{ id: 'x', effect: 'maybe', agents: ['*'], tools: ['*'] }] },
      { rules: [{ id: 'x', effect: 'allow', agents: ['a b'], tools: ['*'] }] },
      { rules: [{ id: 'x', effect: 'allow', agents: ['*'], tools: ['*'], when: { arg: 'text', regex: '(' } }] },
      { rules: [{ id: 'x', effect: 'allow', agents: ['*'], tools: ['*'], when: { arg: 'text', regex: 'a'.repeat(300) } }] },
      { rules: [], extra: true },
    ]) {
      assert.equal((await call(gw.url, 'PUT', '/admin/policy', { token: admin, body })).status, 422, JSON.stringify(body).slice(0, 80));
    }
    const got = await call(gw.url, 'GET', '/admin/policy', { token: admin });
    assert.ok(got.body.version >= 1);
    assert.equal(got.body.rules.length, 2);
    await call(gw.url, 'PUT', '/admin/policy', { token: admin, body: { rules: [] } });
  });

  test('kill switch: every execution path answers 503 GW_ERR_KILL_SWITCH until it is lifted', async () => {
    const queued = (await evalCall('return 4')).body;
    const on = await call(gw.url, 'POST', '/admin/kill-switch', { token: admin, body: { reason: 'incident 42' } });
    assert.equal(on.status, 200);
    assert.equal(on.body.active, true);
    const blocked = await call(gw.url, 'POST', '/tools/call', { token: agent, body: { tool: 'echo', args: { text: 'x' } } });
    assert.equal(blocked.status, 503);
    assert.equal(blocked.body.code, 'GW_ERR_KILL_SWITCH');
    const approve = await call(gw.url, 'POST', `/approvals/${queued.approval_id}/approve`, { token: admin });
    assert.equal(approve.status, 503);
    assert.equal((await call(gw.url, 'GET', `/approvals/${queued.approval_id}`, { token: admin })).body.status, 'pending', 'nothing was decided');
    assert.equal((await call(gw.url, 'POST', '/admin/kill-switch', { token: admin, body: {} })).status, 422);
    const off = await call(gw.url, 'DELETE', '/admin/kill-switch', { token: admin });
    assert.equal(off.body.active, false);
    assert.equal((await call(gw.url, 'POST', '/tools/call', { token: agent, body: { tool: 'echo', args: { text: 'x' } } })).status, 200);
  });

  test('circuit breaker: repeated denials pause the agent (403 GW_ERR_AGENT_PAUSED)', async () => {
    const pest = await createAgent(gw.url, admin, 'pest', ['echo']);
    let last = 0;
    let code = '';
    for (let i = 0; i < 12; i++) {
      const res = await call(gw.url, 'POST', '/tools/call', { token: pest, body: { tool: 'hash.digest', args: {} } });
      last = res.status;
      code = res.body.code;
    }
    assert.equal(last, 403);
    assert.equal(code, 'GW_ERR_AGENT_PAUSED');
    const even = await call(gw.url, 'POST', '/tools/call', { token: pest, body: { tool: 'echo', args: { text: 'x' } } });
    assert.equal(even.body.code, 'GW_ERR_AGENT_PAUSED');
    assert.ok(Number(even.headers.get('retry-after')) > 0);
  });

  test('every decision is in the decrypted audit log, and verify passes', async () => {
    const res = await call(gw.url, 'GET', '/admin/audit?event=tool.call&limit=500', { token: admin });
    assert.equal(res.status, 200);
    const outcomes = new Set(res.body.entries.map((e: { outcome: string }) => e.outcome));
    for (const o of ['ok', 'denied', 'pending']) assert.ok(outcomes.has(o), o);
    const denied = res.body.entries.find((e: { data?: { rule_id?: string } }) => e.data?.rule_id === 'no-secrets');
    assert.ok(denied, 'the policy denial names its rule');
    const csv = await call(gw.url, 'GET', '/admin/audit?format=csv&limit=5', { token: admin });
    assert.match(csv.headers.get('content-type') ?? '', /text\/csv/);
    assert.equal((await call(gw.url, 'GET', '/admin/audit?since=yesterday', { token: admin })).status, 422);
    assert.equal((await call(gw.url, 'GET', '/admin/audit?limit=0', { token: admin })).status, 422);
    const verify = await call(gw.url, 'GET', '/admin/audit/verify', { token: admin });
    assert.equal(verify.status, 200);
    assert.equal(verify.body.ok, true);
    assert.ok(verify.body.entries > 10);
  });
});

describe('audit key rotation', () => {
  test('POST /admin/audit/rotate-key: new lines use the new kid, old lines stay readable, verify passes', async () => {
    const gw = await startGateway();
    try {
      const admin = (await loginAdmin(gw.url)).token;
      const before = (await call(gw.url, 'GET', '/admin/audit?limit=1000', { token: admin })).body.entries.length;
      const rotated = await call(gw.url, 'POST', '/admin/audit/rotate-key', { token: admin });
      assert.equal(rotated.status, 200);
      assert.match(rotated.body.kid, /\S/);
      await createAgent(gw.url, admin, 'after-rotation', ['echo']);
      const all = await call(gw.url, 'GET', '/admin/audit?limit=1000', { token: admin });
      assert.ok(all.body.entries.length >= before + 2, 'old and new lines are all readable');
      assert.ok(all.body.entries.some((e: { type: string }) => e.type === 'audit.key_rotated'));
      const { readFileSync } = await import('node:fs');
      const kids = new Set(readFileSync(`${gw.dataDir}/audit/audit.jsonl`, 'utf8').trim().split('\n').map((l) => JSON.parse(l).kid));
      assert.ok(kids.size >= 2 && kids.has(rotated.body.kid), [...kids].join(','));
      assert.equal((await call(gw.url, 'GET', '/admin/audit/verify', { token: admin })).body.ok, true);
      const user = await call(gw.url, 'POST', '/admin/audit/rotate-key');
      assert.equal(user.status, 401);
    } finally {
      await gw.stop(true);
    }
  });
});
