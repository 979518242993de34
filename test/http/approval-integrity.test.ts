/**
 * Approval integrity end to end, over the HTTP contract: a queued call whose stored args or
 * digest were changed behind the gateway's back (directly in sqlite) is never run on approve;
 * the refusal is audited with its reason; args sent in the approve body are rejected (422) and
 * never used: only the exact stored call ever runs.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, test } from 'node:test';
import { call, createAgent, loginAdmin, startGateway, type TestGateway } from '../support/gateway.ts';

interface AuditEntry { type: string; outcome: string; data?: Record<string, unknown> }

describe('approval integrity: tampered stored calls and approve-body args', () => {
  let gw: TestGateway;
  let admin: string;
  let agent: string;
  before(async () => {
    gw = await startGateway();
    admin = (await loginAdmin(gw.url)).token;
    agent = await createAgent(gw.url, admin, 'integ', ['js.eval']);
  });
  after(() => gw.stop(true));

  const queue = async (code: string, n: number): Promise<{ approval_id: string; call_id: string }> => {
    const res = await call(gw.url, 'POST', '/tools/call', { token: agent, body: { tool: 'js.eval', args: { code, input: { n } } } });
    assert.equal(res.status, 202, res.text);
    return res.body;
  };
  const sql = (statement: string, ...params: string[]): void => {
    const db = new DatabaseSync(join(gw.dataDir, 'palisade.db'));
    try {
      db.prepare(statement).run(...params);
    } finally {
      db.close();
    }
  };
  const storedCall = (id: string): { tool: string; args: { code: string; input: { n: number } } } => {
    const db = new DatabaseSync(join(gw.dataDir, 'palisade.db'), { readOnly: true });
    try {
      return JSON.parse(String(db.prepare('SELECT exact_call FROM approvals WHERE id = ?').get(id)?.['exact_call']));
    } finally {
      db.close();
    }
  };
  const auditOf = async (type: string): Promise<AuditEntry[]> => {
    const res = await call(gw.url, 'GET', `/admin/audit?event=${type}&limit=1000`, { token: admin });
    assert.equal(res.status, 200, res.text);
    return res.body.entries;
  };
  const assertNotRun = async (queued: { approval_id: string; call_id: string }): Promise<void> => {
    const rec = await call(gw.url, 'GET', `/tools/calls/${queued.call_id}`, { token: agent });
    assert.notEqual(rec.body.status, 'ok', 'the tampered call ran');
    assert.equal(rec.body.result ?? null, null);
    const ran = (await auditOf('tool.call')).filter((e) => e.data?.['call_id'] === queued.call_id && e.outcome !== 'pending');
    assert.deepEqual(ran, [], 'no tool.call outcome was recorded for the tampered call');
    const refusal = (await auditOf('approval.approve')).find((e) => e.data?.['approval_id'] === queued.approval_id);
    assert.equal(refusal?.outcome, 'denied');
    assert.equal(refusal?.data?.['step'], 'stored_call', 'the audit line names why: the stored call');
    assert.equal((await auditOf('approval.approve')).some((e) => e.data?.['approval_id'] === queued.approval_id && e.outcome === 'ok'), false);
  };

  test('stored args changed in sqlite (digest left as it was) → approve refused, the tool does not run, audited', async () => {
    const queued = await queue('return input.n * 2', 21);
    const stored = storedCall(queued.approval_id);
    sql('UPDATE approvals SET exact_call = ? WHERE id = ?', JSON.stringify({ ...stored, args: { ...stored.args, input: { n: 500 } } }), queued.approval_id);
    const res = await call(gw.url, 'POST', `/approvals/${queued.approval_id}/approve`, { token: admin, body: {} });
    assert.ok(res.status >= 400, `approve answered ${res.status}: ${res.text}`);
    assert.equal(res.body.call, undefined);
    assert.match(String(res.body.detail), /digest/);
    await assertNotRun(queued);
  });

  test('stored digest changed in sqlite → approve refused, the tool does not run, audited', async () => {
    const queued = await queue('return input.n * 3', 7);
    sql('UPDATE approvals SET args_sha256 = ? WHERE id = ?', 'f'.repeat(64), queued.approval_id);
    const res = await call(gw.url, 'POST', `/approvals/${queued.approval_id}/approve`, { token: admin, body: {} });
    assert.ok(res.status >= 400, `approve answered ${res.status}: ${res.text}`);
    assert.equal(res.body.call, undefined);
    await assertNotRun(queued);
  });

  test('a tampered stored call answers 409 GW_ERR_APPROVAL_TAMPERED and raises a critical alert naming the approval', async () => {
    const queued = await queue('return input.n', 1);
    sql('UPDATE approvals SET args_sha256 = ? WHERE id = ?', '0'.repeat(64), queued.approval_id);
    const res = await call(gw.url, 'POST', `/approvals/${queued.approval_id}/approve`, { token: admin, body: {} });
    assert.equal(res.status, 409, res.text);
    assert.equal(res.body.code, 'GW_ERR_APPROVAL_TAMPERED');
    // the alert's audit line is written by the monitor beside the refusal: poll it, bounded
    const deadline = Date.now() + 10_000;
    let found = false;
    while (!found && Date.now() < deadline) {
      const alerts = await auditOf('alert.fired');
      found = alerts.some((e) => e.data?.['alert'] === 'approval.tampered' && e.data?.['severity'] === 'critical'
        && String(e.data?.['message']).includes(queued.approval_id));
      if (!found) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(found, 'an approval.tampered alert naming the approval was recorded');
  });

  test('args in the approve body → 422 and never used: the item stays pending and the stored call runs as queued', async () => {
    const queued = await queue('return input.n + 1', 41);
    const withArgs = await call(gw.url, 'POST', `/approvals/${queued.approval_id}/approve`, {
      token: admin, body: { args: { code: 'return 666', input: { n: 0 } } },
    });
    assert.equal(withArgs.status, 422, withArgs.text);
    assert.equal(withArgs.body.code, 'GW_ERR_VALIDATION');
    assert.equal((await call(gw.url, 'GET', `/approvals/${queued.approval_id}`, { token: admin })).body.status, 'pending');
    const withTool = await call(gw.url, 'POST', `/approvals/${queued.approval_id}/approve`, { token: admin, body: { tool: 'echo', note: 'x' } });
    assert.equal(withTool.status, 422, withTool.text);
    const ok = await call(gw.url, 'POST', `/approvals/${queued.approval_id}/approve`, { token: admin, body: { note: 'fine' } });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.body.call.status, 'ok');
    assert.equal(ok.body.call.result, 42, 'exactly the stored call ran');
  });
});
