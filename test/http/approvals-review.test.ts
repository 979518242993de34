/**
 * The approval queue under pressure and under review: global and per-agent caps (429
 * GW_ERR_APPROVAL_QUEUE_FULL, audited, alerted); the approver sees the exact args only through
 * the audited admin reveal, and the list view redacts consistently; approve never blocks past
 * its wait (202 running, the result lands on GET /tools/calls/:id); 202 pending has Location.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { call, createAgent, loginAdmin, startGateway, type TestGateway } from '../support/gateway.ts';

type Entry = { type: string; outcome: string; actor: string; data?: Record<string, unknown> };
const auditOf = async (gw: TestGateway, admin: string, event: string): Promise<Entry[]> =>
  (await call(gw.url, 'GET', `/admin/audit?event=${event}&limit=1000`, { token: admin })).body.entries;

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('approval queue caps', () => {
  let gw: TestGateway;
  let admin: string;
  before(async () => {
    gw = await startGateway({ env: { PALISADE_APPROVAL_QUEUE_MAX: '3', PALISADE_APPROVAL_QUEUE_PER_AGENT: '2' } });
    admin = (await loginAdmin(gw.url)).token;
  });
  after(() => gw.stop(true));

  const queue = (token: string) => call(gw.url, 'POST', '/tools/call', { token, body: { tool: 'js.eval', args: { code: 'return 1' } } });

  test('past the per-agent and the global cap: 429 GW_ERR_APPROVAL_QUEUE_FULL, audited, alerted; nothing queued', async () => {
    assert.equal((await call(gw.url, 'PUT', '/admin/alerts/config', { token: admin, body: { approval_queue_threshold: 3 } })).status, 200);
    const a = await createAgent(gw.url, admin, 'flood-a', ['js.eval']);
    const b = await createAgent(gw.url, admin, 'flood-b', ['js.eval']);
    assert.equal((await queue(a)).status, 202);
    assert.equal((await queue(a)).status, 202);
    const perAgent = await queue(a);
    assert.equal(perAgent.status, 429, perAgent.text);
    assert.equal(perAgent.body.code, 'GW_ERR_APPROVAL_QUEUE_FULL');
    assert.equal(perAgent.body.limit, 'agent');
    assert.ok(Number(perAgent.headers.get('retry-after')) > 0);
    assert.equal((await queue(b)).status, 202, 'another agent still has room in the global queue');
    const global = await queue(b);
    assert.equal(global.status, 429);
    assert.equal(global.body.limit, 'global');
    const pending = await call(gw.url, 'GET', '/approvals?status=pending', { token: admin });
    assert.equal(pending.body.items.length, 3, 'the refused calls were not queued');

    const denied = (await auditOf(gw, admin, 'tool.call')).filter((e) => e.data?.['step'] === 'approval_queue');
    assert.deepEqual(denied.map((e) => e.data?.['limit']).sort(), ['agent', 'global']);
    const full = await auditOf(gw, admin, 'approval.queue_full');
    assert.deepEqual(full.map((e) => e.data?.['limit']).sort(), ['agent', 'global']);
    const alert = await until('the queue alert', async () =>
      (await auditOf(gw, admin, 'alert.fired')).find((e) => e.data?.['alert'] === 'approvals.queue_high'));
    assert.equal(alert.data?.['severity'], 'warning');
  });
});

describe('approver review and approve wait', () => {
  let gw: TestGateway;
  let admin: string;
  let agent: string;
  before(async () => {
    gw = await startGateway({ env: { PALISADE_APPROVE_WAIT_MS: '300' } });
    admin = (await loginAdmin(gw.url)).token;
    agent = await createAgent(gw.url, admin, 'reviewed', ['js.eval']);
  });
  after(() => gw.stop(true));

  const evalCall = (args: unknown) => call(gw.url, 'POST', '/tools/call', { token: agent, body: { tool: 'js.eval', args } });

  test('a 202 pending_approval carries Location: /tools/calls/<call_id>', async () => {
    const res = await evalCall({ code: 'return 1' });
    assert.equal(res.status, 202);
    assert.equal(res.headers.get('location'), `/tools/calls/${res.body.call_id}`);
  });

  test('js.eval input.password is hidden in every view and visible only through the audited admin reveal', async () => {
    const secret = 'hunter2-sup3r-secret';
    const card = '4111 1111 1111 1111';
    const res = await evalCall({ code: 'return input.password.length', input: { password: secret, pwd: 'pw-value-1', note: `card ${card}` } });
    assert.equal(res.status, 202);
    const id = res.body.approval_id;
    const item = await call(gw.url, 'GET', `/approvals/${id}`, { token: admin });
    const list = await call(gw.url, 'GET', '/approvals?status=pending', { token: admin });
    const own = await call(gw.url, 'GET', `/approvals/${id}`, { token: agent });
    for (const view of [item.text, list.text, own.text]) {
      assert.equal(view.includes(secret), false);
      assert.equal(view.includes('pw-value-1'), false, 'pwd is a secret key too');
      assert.equal(view.includes(card), false, 'card numbers are masked in values');
    }
    assert.equal(item.body.args.input.password, '[REDACTED]');
    const logged = (await auditOf(gw, admin, 'tool.call')).find((e) => e.data?.['approval_id'] === id);
    assert.equal(JSON.stringify(logged).includes(secret), false, 'the audit line has the same redaction');

    const byAgent = await call(gw.url, 'GET', `/approvals/${id}?reveal=true`, { token: agent });
    assert.equal(byAgent.status, 403);
    assert.equal((await call(gw.url, 'GET', `/approvals/${id}?reveal=yes`, { token: admin })).status, 422);
    const revealed = await call(gw.url, 'GET', `/approvals/${id}?reveal=true`, { token: admin });
    assert.equal(revealed.status, 200);
    assert.equal(revealed.body.args_revealed, true);
    assert.deepEqual(revealed.body.args, { code: 'return input.password.length', input: { password: secret, pwd: 'pw-value-1', note: `card ${card}` } });
    const reveals = (await auditOf(gw, admin, 'approval.reveal')).filter((e) => e.data?.['approval_id'] === id);
    assert.equal(reveals.length, 1);
    assert.equal(reveals[0]?.actor, 'admin:admin');
    assert.equal(JSON.stringify(reveals[0]).includes(secret), false, 'the reveal is audited without the args');

    await call(gw.url, 'POST', `/approvals/${id}/reject`, { token: admin });
    const gone = await call(gw.url, 'GET', `/approvals/${id}?reveal=true`, { token: admin });
    assert.equal(gone.status, 409, 'the exact args are erased once the item is decided');
  });

  test('approve of a slow call answers 202 {status:"running"} within the wait; the result lands on GET /tools/calls/:id', async () => {
    const q = (await evalCall({ code: 'const end = Date.now() + 1500; while (Date.now() < end) {} return 7' })).body;
    const started = Date.now();
    const res = await call(gw.url, 'POST', `/approvals/${q.approval_id}/approve`, { token: admin });
    const took = Date.now() - started;
    assert.equal(res.status, 202, res.text);
    assert.deepEqual(res.body, { status: 'running', call_id: q.call_id, approval_id: q.approval_id });
    assert.equal(res.headers.get('location'), `/tools/calls/${q.call_id}`);
    assert.ok(took < 1400, `approve answered after ${took} ms`);
    const done = await until('the background result', async () => {
      const rec = await call(gw.url, 'GET', `/tools/calls/${q.call_id}`, { token: agent });
      return rec.body.status === 'running' ? undefined : rec.body;
    });
    assert.equal(done.status, 'ok');
    assert.equal(done.result, 7);
    const item = await until('the approval to settle', async () => {
      const it = (await call(gw.url, 'GET', `/approvals/${q.approval_id}`, { token: admin })).body;
      return it.status === 'approved' ? undefined : it;
    });
    assert.equal(item.status, 'executed');
    const line = (await auditOf(gw, admin, 'tool.call')).find((e) => e.data?.['call_id'] === q.call_id && e.outcome === 'ok');
    assert.ok(line, 'the background run is audited');
  });
});
