import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../../../agent-gateway/store/db.ts';
import { APPROVAL_MIGRATIONS } from '../../../agent-gateway/approvals/schema.ts';
import { ApprovalStore, type NewApproval } from '../../../agent-gateway/approvals/store.ts';
import { ApprovalEvents, type ApprovalChange } from '../../../agent-gateway/approvals/events.ts';
import { CallStore } from '../../../agent-gateway/approvals/calls.ts';
import { argsSha256 } from '../../../agent-gateway/approvals/canonical.ts';

interface Ctx { after: (fn: () => void) => void }
function setup(t: Ctx, start = 1_000_000) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'palisade-approvals-'));
  const clock = { now: start };
  const db = openDatabase(dir, APPROVAL_MIGRATIONS);
  t.after(() => {
    if (db.isOpen) db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const events = new ApprovalEvents();
  const changes: ApprovalChange[] = [];
  const sub = events.subscribe((c) => changes.push(c));
  assert.ok(sub.ok);
  const calls = new CallStore(db, { now: () => clock.now });
  const store = new ApprovalStore(db, { now: () => clock.now, events, calls });
  return { dir, db, clock, store, calls, changes, events };
}
const req = (over: Partial<NewApproval> = {}): NewApproval => ({
  call_id: 'call-1', agent_id: 'bot', tool: 'fs.write',
  args: { path: '/tmp/x', token: 'sk-secret' }, args_redacted: { path: '/tmp/x', token: '[REDACTED]' },
  risk: 'high', timeout_seconds: 60, ...over,
});

test('create stores a pending item bound to the exact call digest and shows only redacted args', (t) => {
  const { store, changes } = setup(t);
  const item = store.create(req());
  assert.match(item.id, /^apr_[0-9a-f-]{36}$/);
  assert.deepEqual({ ...item, id: 'X' }, {
    id: 'X', call_id: 'call-1', agent_id: 'bot', requested_by: 'agent:bot', tool: 'fs.write',
    args: { path: '/tmp/x', token: '[REDACTED]' }, args_sha256: argsSha256('fs.write', { token: 'sk-secret', path: '/tmp/x' }),
    risk: 'high', status: 'pending', created_at: new Date(1_000_000).toISOString(), expires_at: new Date(1_060_000).toISOString(),
    decided_by: null, decided_at: null, note: null,
  });
  assert.equal(JSON.stringify(store.list()).includes('sk-secret'), false);
  assert.deepEqual(changes.map((c) => [c.type, c.item.status]), [['approval.created', 'pending']]);
});

test('create refuses an out-of-range timeout, bad risk or empty ids', (t) => {
  const { store } = setup(t);
  assert.throws(() => store.create(req({ timeout_seconds: 9 })), RangeError);
  assert.throws(() => store.create(req({ timeout_seconds: 86_401 })), RangeError);
  assert.throws(() => store.create(req({ risk: 'extreme' as never })), RangeError);
  assert.throws(() => store.create(req({ call_id: '' })), RangeError);
});

test('an admin approves once; approving twice is a conflict', (t) => {
  const { store, changes } = setup(t);
  const { id } = store.create(req());
  const ok = store.decide(id, 'approve', { kind: 'admin', username: 'alice' }, 'looks fine');
  assert.ok(ok.ok);
  assert.equal(ok.item.status, 'approved');
  assert.equal(ok.item.decided_by, 'admin:alice');
  assert.equal(ok.item.note, 'looks fine');
  const again = store.decide(id, 'approve', { kind: 'admin', username: 'bob' });
  assert.deepEqual(again, { ok: false, code: 'GW_ERR_CONFLICT', message: 'cannot approve an approval that is approved' });
  assert.deepEqual(changes.map((c) => c.item.status), ['pending', 'approved']);
});

test('approving a rejected item is a conflict', (t) => {
  const { store } = setup(t);
  const { id } = store.create(req());
  assert.equal(store.decide(id, 'reject', { kind: 'admin', username: 'alice' }, 'no').ok, true);
  const r = store.decide(id, 'approve', { kind: 'admin', username: 'bob' });
  assert.equal(r.ok ? 'ok' : r.code, 'GW_ERR_CONFLICT');
});

test('the requesting agent or requesting admin cannot approve; non-admins cannot decide', (t) => {
  const { store } = setup(t);
  const a = store.create(req());
  assert.equal(store.decide(a.id, 'approve', { kind: 'agent', agentId: 'bot' }).ok, false);
  const b = store.create(req({ call_id: 'call-2', requested_by: 'admin:alice' }));
  const self = store.decide(b.id, 'approve', { kind: 'admin', username: 'alice' });
  assert.equal(self.ok ? 'ok' : self.code, 'GW_ERR_FORBIDDEN');
  assert.equal(store.get(b.id)?.status, 'pending', 'a refused decision changes nothing');
  assert.equal(store.decide(b.id, 'approve', { kind: 'user', username: 'carol' }).ok, false);
  assert.equal(store.decide(b.id, 'approve', { kind: 'admin', username: 'bob' }).ok, true);
});

test('unknown id is not found and an over-long note is a validation error', (t) => {
  const { store } = setup(t);
  const r = store.decide('apr_nope', 'approve', { kind: 'admin', username: 'alice' });
  assert.equal(r.ok ? 'ok' : r.code, 'GW_ERR_NOT_FOUND');
  const { id } = store.create(req());
  const n = store.decide(id, 'reject', { kind: 'admin', username: 'alice' }, 'x'.repeat(1025));
  assert.equal(n.ok ? 'ok' : n.code, 'GW_ERR_VALIDATION');
});

test('an item past expires_at becomes expired on read, and approving it then is a conflict', (t) => {
  const { store, clock, calls, changes } = setup(t);
  calls.put({ call_id: 'call-1', agent_id: 'bot', tool: 'fs.write', status: 'pending_approval' });
  const { id } = store.create(req({ timeout_seconds: 10 }));
  clock.now += 10_000;
  assert.equal(store.get(id)?.status, 'pending', 'exactly at expires_at it is still pending');
  clock.now += 1;
  const got = store.get(id);
  assert.equal(got?.status, 'expired');
  assert.equal(got?.decided_by, 'system');
  const r = store.decide(id, 'approve', { kind: 'admin', username: 'alice' });
  assert.deepEqual(r, { ok: false, code: 'GW_ERR_CONFLICT', message: 'cannot approve an approval that is expired' });
  assert.equal(calls.get('call-1')?.status, 'expired', 'the call record follows the expiry');
  assert.deepEqual(changes.map((c) => c.item.status), ['pending', 'expired']);
});

test('approve after expiry without a prior read still answers conflict (expiry applied first)', (t) => {
  const { store, clock } = setup(t);
  const { id } = store.create(req({ timeout_seconds: 10 }));
  clock.now += 60_000;
  const r = store.decide(id, 'approve', { kind: 'admin', username: 'alice' });
  assert.equal(r.ok ? 'ok' : r.code, 'GW_ERR_CONFLICT');
  assert.equal(store.get(id)?.status, 'expired');
});

test('sweep expires every due pending item once and list filters by status', (t) => {
  const { store, clock } = setup(t);
  const a = store.create(req({ call_id: 'a', timeout_seconds: 10 }));
  const b = store.create(req({ call_id: 'b', timeout_seconds: 100 }));
  const c = store.create(req({ call_id: 'c', timeout_seconds: 10 }));
  store.decide(c.id, 'approve', { kind: 'admin', username: 'alice' });
  clock.now += 20_000;
  assert.deepEqual(store.sweep().map((i) => i.id), [a.id]);
  assert.deepEqual(store.sweep(), []);
  assert.deepEqual(store.list({ status: 'pending' }).map((i) => i.id), [b.id]);
  assert.deepEqual(store.list({ status: 'expired' }).map((i) => i.id), [a.id]);
  assert.equal(store.list().length, 3);
  assert.equal(store.pendingCount(), 1);
  assert.deepEqual(store.list({ agent_id: 'other' }), []);
  assert.throws(() => store.list({ status: 'bogus' as never }), RangeError);
});

test('the exact call is handed out only once, only after approval, and its digest is re-verified', (t) => {
  const { store, db } = setup(t);
  const { id } = store.create(req());
  const early = store.takeExactCall(id);
  assert.equal(early.ok ? 'ok' : early.code, 'GW_ERR_CONFLICT');
  store.decide(id, 'approve', { kind: 'admin', username: 'alice' });
  const first = store.takeExactCall(id);
  assert.deepEqual(first, { ok: true, call: { approval_id: id, call_id: 'call-1', agent_id: 'bot', tool: 'fs.write', args: { path: '/tmp/x', token: 'sk-secret' } } });
  const second = store.takeExactCall(id);
  assert.equal(second.ok ? 'ok' : second.code, 'GW_ERR_CONFLICT');

  const other = store.create(req({ call_id: 'call-2' }));
  store.decide(other.id, 'approve', { kind: 'admin', username: 'alice' });
  db.prepare('UPDATE approvals SET exact_call = ? WHERE id = ?').run('{"args":{"path":"/etc/passwd","token":"sk-secret"},"tool":"fs.write"}', other.id);
  const tampered = store.takeExactCall(other.id);
  assert.deepEqual(tampered, { ok: false, code: 'GW_ERR_APPROVAL_TAMPERED', message: 'stored call does not match its digest' });
});

test('completing execution moves approved → executed or failed and erases the stored full args', (t) => {
  const { store, db } = setup(t);
  const a = store.create(req({ call_id: 'a' }));
  const b = store.create(req({ call_id: 'b' }));
  store.decide(a.id, 'approve', { kind: 'admin', username: 'alice' });
  store.decide(b.id, 'approve', { kind: 'admin', username: 'alice' });
  assert.equal(store.takeExactCall(a.id).ok, true);
  const done = store.completeExecution(a.id, 'executed');
  assert.equal(done.ok && done.item.status, 'executed');
  const fail = store.completeExecution(b.id, 'failed');
  assert.equal(fail.ok && fail.item.status, 'failed');
  const again = store.completeExecution(a.id, 'failed');
  assert.equal(again.ok ? 'ok' : again.code, 'GW_ERR_CONFLICT');
  const rows = db.prepare('SELECT exact_call FROM approvals').all();
  assert.ok(rows.every((r) => r['exact_call'] === null));
  const raw = JSON.stringify(db.prepare('SELECT * FROM approvals').all());
  assert.equal(raw.includes('sk-secret'), false);
});

test('rejecting erases the stored full args and marks the call record rejected', (t) => {
  const { store, calls, db } = setup(t);
  calls.put({ call_id: 'call-1', agent_id: 'bot', tool: 'fs.write', status: 'pending_approval' });
  const { id } = store.create(req());
  store.decide(id, 'reject', { kind: 'admin', username: 'alice' }, 'nope');
  assert.equal(calls.get('call-1')?.status, 'rejected');
  assert.equal(db.prepare('SELECT exact_call FROM approvals WHERE id = ?').get(id)?.['exact_call'], null);
});

test('the queue survives a restart, including a pending item that expires while the gateway was down', (t) => {
  const { dir, db, clock, store } = setup(t);
  const p = store.create(req({ call_id: 'p', timeout_seconds: 3600 }));
  const e = store.create(req({ call_id: 'e', timeout_seconds: 10 }));
  store.decide(p.id, 'approve', { kind: 'admin', username: 'alice' });
  db.close();
  const db2 = openDatabase(dir, APPROVAL_MIGRATIONS);
  t.after(() => db2.close());
  clock.now += 3_600_000;
  const store2 = new ApprovalStore(db2, { now: () => clock.now });
  assert.equal(store2.get(p.id)?.status, 'approved');
  assert.equal(store2.get(e.id)?.status, 'expired');
  assert.equal(store2.takeExactCall(p.id).ok, true);
});

test('a throwing subscriber does not break the queue; subscribers are capped', (t) => {
  const { store } = setup(t);
  const events = new ApprovalEvents(1);
  const s1 = events.subscribe(() => { throw new Error('socket closed'); });
  assert.ok(s1.ok);
  assert.deepEqual(events.subscribe(() => {}), { ok: false, code: 'GW_ERR_UNAVAILABLE' });
  events.emit({ type: 'approval.created', item: store.create(req()) });
  s1.unsubscribe();
  assert.equal(events.size, 0);
});

test('privacy helpers export and erase one subject\'s items only (as agent or as requesting principal)', (t) => {
  const { store } = setup(t);
  store.create(req({ call_id: 'a', agent_id: 'bot' }));
  store.create(req({ call_id: 'b', agent_id: 'other' }));
  store.create(req({ call_id: 'c', agent_id: 'other', requested_by: 'admin:bot' }));
  store.create(req({ call_id: 'd', agent_id: 'bot2' }));
  assert.deepEqual(store.forSubject('bot').map((i) => i.call_id).sort(), ['a', 'c']);
  assert.equal(store.deleteForSubject('bot'), 2);
  assert.deepEqual(store.list().map((i) => i.call_id).sort(), ['b', 'd']);
});
