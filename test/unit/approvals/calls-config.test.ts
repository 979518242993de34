import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../../../agent-gateway/store/db.ts';
import { APPROVAL_MIGRATIONS } from '../../../agent-gateway/approvals/schema.ts';
import { CallStore } from '../../../agent-gateway/approvals/calls.ts';
import { ApprovalConfigStore, validateApprovalConfig } from '../../../agent-gateway/approvals/config.ts';

function open(t: { after: (fn: () => void) => void }) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'palisade-calls-'));
  const db = openDatabase(dir, APPROVAL_MIGRATIONS);
  t.after(() => {
    if (db.isOpen) db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return { dir, db };
}

test('a call record moves running → ok with its result and duration, and is read back', (t) => {
  const { db } = open(t);
  let now = 1000;
  const calls = new CallStore(db, { now: () => now });
  assert.equal(calls.get('c1'), undefined);
  assert.equal(calls.put({ call_id: 'c1', agent_id: 'bot', tool: 'js.eval', status: 'running' }).ok, true);
  now = 1500;
  const r = calls.put({ call_id: 'c1', agent_id: 'bot', tool: 'js.eval', status: 'ok', result: { n: [1, 'two', null] }, duration_ms: 12.4 });
  assert.ok(r.ok);
  assert.deepEqual(calls.get('c1'), {
    call_id: 'c1', agent_id: 'bot', tool: 'js.eval', status: 'ok', result: { n: [1, 'two', null] }, error: null,
    duration_ms: 12, created_at: new Date(1000).toISOString(), updated_at: new Date(1500).toISOString(),
  });
});

test('a call record stores an error code and message', (t) => {
  const { db } = open(t);
  const calls = new CallStore(db);
  calls.put({ call_id: 'c', agent_id: 'a', tool: 't', status: 'running' });
  calls.put({ call_id: 'c', agent_id: 'a', tool: 't', status: 'error', error: { code: 'SBX_ERR_TIMEOUT', message: 'timed out' } });
  assert.deepEqual(calls.get('c')?.error, { code: 'SBX_ERR_TIMEOUT', message: 'timed out' });
});

test('terminal call states never change and backward moves are conflicts', (t) => {
  const { db } = open(t);
  const calls = new CallStore(db);
  calls.put({ call_id: 'c', agent_id: 'a', tool: 't', status: 'pending_approval' });
  assert.equal(calls.put({ call_id: 'c', agent_id: 'a', tool: 't', status: 'ok' }).ok, false, 'pending_approval cannot jump to ok');
  assert.equal(calls.put({ call_id: 'c', agent_id: 'a', tool: 't', status: 'running' }).ok, true);
  assert.equal(calls.put({ call_id: 'c', agent_id: 'a', tool: 't', status: 'pending_approval' }).ok, false);
  assert.equal(calls.put({ call_id: 'c', agent_id: 'a', tool: 't', status: 'ok', result: 1 }).ok, true);
  for (const status of ['running', 'error', 'ok', 'rejected', 'expired', 'pending_approval'] as const) {
    const r = calls.put({ call_id: 'c', agent_id: 'a', tool: 't', status });
    assert.equal(r.ok ? 'ok' : r.code, 'GW_ERR_CONFLICT', status);
  }
  assert.equal(calls.get('c')?.result, 1);
});

test('a call id cannot be taken over by another agent or tool', (t) => {
  const { db } = open(t);
  const calls = new CallStore(db);
  calls.put({ call_id: 'c', agent_id: 'a', tool: 't', status: 'running' });
  assert.equal(calls.put({ call_id: 'c', agent_id: 'evil', tool: 't', status: 'ok' }).ok, false);
  assert.equal(calls.put({ call_id: 'c', agent_id: 'a', tool: 'other', status: 'ok' }).ok, false);
  assert.equal(calls.get('c')?.agent_id, 'a');
});

test('call records survive a restart and can be exported or erased per agent', (t) => {
  const { dir, db } = open(t);
  // settled calls are what is stored (a running call lives in memory until it settles: see below)
  const first = new CallStore(db);
  first.put({ call_id: 'c', agent_id: 'a', tool: 't', status: 'running' });
  first.put({ call_id: 'c', agent_id: 'a', tool: 't', status: 'ok', result: { x: 1 }, duration_ms: 3 });
  first.put({ call_id: 'd', agent_id: 'b', tool: 't', status: 'pending_approval' });
  db.close();
  const db2 = openDatabase(dir, APPROVAL_MIGRATIONS);
  t.after(() => db2.close());
  const calls = new CallStore(db2);
  assert.equal(calls.get('c')?.status, 'ok');
  assert.deepEqual(calls.get('c')?.result, { x: 1 });
  assert.deepEqual(calls.forAgent('a').map((r) => r.call_id), ['c']);
  assert.equal(calls.deleteForAgent('a'), 1);
  assert.equal(calls.get('c'), undefined);
  assert.equal(calls.get('d')?.agent_id, 'b');
});

test('a running call is held in memory and written once when it settles (one commit per call)', (t) => {
  const { dir, db } = open(t);
  const rows = (): number => Number(db.prepare('SELECT COUNT(*) AS n FROM tool_calls').get()?.['n']);
  const calls = new CallStore(db);
  const put = calls.put({ call_id: 'r', agent_id: 'a', tool: 't', status: 'running' });
  assert.equal(put.ok && put.record.status, 'running');
  assert.equal(rows(), 0, 'no sqlite write while the call runs');
  assert.equal(calls.get('r')?.status, 'running', 'GET /tools/calls/:id still sees it');
  assert.deepEqual(calls.forAgent('a').map((r) => r.status), ['running']);
  // the same rules as a stored row: another agent's id, a backwards move
  assert.equal(calls.put({ call_id: 'r', agent_id: 'b', tool: 't', status: 'ok' }).ok, false);
  assert.equal(calls.put({ call_id: 'r', agent_id: 'a', tool: 't', status: 'running' }).ok, false);
  const created = calls.get('r')?.created_at;
  const done = calls.put({ call_id: 'r', agent_id: 'a', tool: 't', status: 'error', error: { code: 'X', message: 'm' }, duration_ms: 2 });
  assert.equal(done.ok && done.record.status, 'error');
  assert.equal(rows(), 1);
  assert.equal(calls.get('r')?.created_at, created);
  assert.equal(calls.put({ call_id: 'r', agent_id: 'a', tool: 't', status: 'ok' }).ok, false, 'terminal stays terminal');
  // erase reaches a running call too
  calls.put({ call_id: 's', agent_id: 'a', tool: 't', status: 'running' });
  assert.equal(calls.deleteForAgent('a'), 2);
  assert.equal(calls.get('s'), undefined);
  // a call that never settled is not on disk after a crash: the audit log is the durable record
  calls.put({ call_id: 'u', agent_id: 'a', tool: 't', status: 'running' });
  db.close();
  const db2 = openDatabase(dir, APPROVAL_MIGRATIONS);
  t.after(() => db2.close());
  assert.equal(new CallStore(db2).get('u'), undefined);
});

test('approval timeout config accepts integers 10..86400 only and lists every problem', () => {
  assert.deepEqual(validateApprovalConfig({ timeout_seconds: 10 }), { ok: true, config: { timeout_seconds: 10 } });
  assert.deepEqual(validateApprovalConfig({ timeout_seconds: 86_400 }), { ok: true, config: { timeout_seconds: 86_400 } });
  for (const bad of [9, 86_401, 60.5, '900', null, -1]) {
    assert.deepEqual(validateApprovalConfig({ timeout_seconds: bad }), { ok: false, errors: [{ instancePath: '/timeout_seconds', message: 'must be an integer from 10 to 86400' }] });
  }
  assert.deepEqual(validateApprovalConfig({ timeout_seconds: 5, x: 1 }), { ok: false, errors: [
    { instancePath: '/x', message: 'unknown property' },
    { instancePath: '/timeout_seconds', message: 'must be an integer from 10 to 86400' },
  ] });
  assert.equal(validateApprovalConfig([]).ok, false);
});

test('approval config defaults to 900 seconds and persists an update across a restart', (t) => {
  const { dir, db } = open(t);
  const s = new ApprovalConfigStore(db);
  assert.deepEqual(s.get(), { timeout_seconds: 900 });
  s.put({ timeout_seconds: 120 }, 'admin:alice');
  db.close();
  const db2 = openDatabase(dir, APPROVAL_MIGRATIONS);
  t.after(() => db2.close());
  assert.deepEqual(new ApprovalConfigStore(db2).get(), { timeout_seconds: 120 });
  assert.throws(() => new ApprovalConfigStore(db2).put({ timeout_seconds: 5 }, 'admin:alice'), RangeError);
});
