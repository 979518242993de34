/** Waiting for an approval decision: real stores on a temp sqlite file, no fakes of the feed. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CallStore } from '../../../agent-gateway/approvals/calls.ts';
import { ApprovalEvents } from '../../../agent-gateway/approvals/events.ts';
import type { ApprovalItem } from '../../../agent-gateway/approvals/item.ts';
import { APPROVAL_MIGRATIONS } from '../../../agent-gateway/approvals/schema.ts';
import { ApprovalStore } from '../../../agent-gateway/approvals/store.ts';
import { waitForDecision, waitState } from '../../../agent-gateway/mcp/wait.ts';
import { openDatabase } from '../../../agent-gateway/store/db.ts';

function setup(t: { after: (fn: () => void) => void }, maxSubscribers = 256) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'palisade-mcp-wait-'));
  const db = openDatabase(dir, APPROVAL_MIGRATIONS);
  t.after(() => {
    if (db.isOpen) db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const clock = { offset: 0 };
  const now = () => Date.now() + clock.offset;
  const approvalEvents = new ApprovalEvents(maxSubscribers);
  const calls = new CallStore(db, { now });
  const approvals = new ApprovalStore(db, { now, events: approvalEvents, calls });
  const queue = (): ApprovalItem => {
    const callId = `call_${Math.random().toString(16).slice(2)}`;
    const item = approvals.create({
      call_id: callId, agent_id: 'bot', tool: 'js.eval', args: { code: 'return 1' }, args_redacted: { code: 'return 1' }, risk: 'high', timeout_seconds: 60,
    });
    calls.put({ call_id: callId, agent_id: 'bot', tool: 'js.eval', status: 'pending_approval' });
    return item;
  };
  /** what approveAndRun does, step by step, through the real store */
  const runApproved = (item: ApprovalItem, result: unknown = 2): void => {
    assert.equal(approvals.decide(item.id, 'approve', ADMIN).ok, true);
    assert.equal(approvals.takeExactCall(item.id).ok, true);
    calls.put({ call_id: item.call_id, agent_id: 'bot', tool: 'js.eval', status: 'running' });
    calls.put({ call_id: item.call_id, agent_id: 'bot', tool: 'js.eval', status: 'ok', result: result as never, duration_ms: 4 });
    assert.equal(approvals.completeExecution(item.id, 'executed').ok, true);
  };
  return { approvals, calls, approvalEvents, now, clock, queue, runApproved, deps: { approvals, calls, approvalEvents, now } };
}

const ADMIN = { kind: 'admin', username: 'root' } as const;
const opts = (item: ApprovalItem, signal: AbortSignal, timeoutMs = 5_000) => ({ approvalId: item.id, callId: item.call_id, timeoutMs, signal });

test('waitState: pending/approved wait; rejected/expired end; executed ends only with a terminal record', (t) => {
  const s = setup(t);
  const item = s.queue();
  assert.deepEqual(waitState(undefined, undefined), { state: 'missing' });
  assert.equal(waitState(item, s.calls.get(item.call_id)).state, 'waiting');
  assert.equal(waitState({ ...item, status: 'approved' }, s.calls.get(item.call_id)).state, 'waiting');
  assert.equal(waitState({ ...item, status: 'rejected' }, undefined).state, 'rejected');
  assert.equal(waitState({ ...item, status: 'expired' }, undefined).state, 'expired');
  assert.equal(waitState({ ...item, status: 'executed' }, s.calls.get(item.call_id)).state, 'waiting', 'record still pending');
  assert.equal(waitState({ ...item, status: 'executed' }, undefined).state, 'missing');
  s.runApproved(item);
  const done = waitState(s.approvals.get(item.id), s.calls.get(item.call_id));
  assert.equal(done.state, 'done');
  assert.equal(done.state === 'done' ? done.record.result : undefined, 2);
});

test('an approval decided while waiting returns the executed record, and the listener is gone', async (t) => {
  const s = setup(t);
  const item = s.queue();
  const waiting = waitForDecision(s.deps, opts(item, new AbortController().signal));
  assert.equal(s.approvalEvents.size, 1);
  s.runApproved(item, { n: 7 });
  const out = await waiting;
  assert.equal(out.state, 'done');
  assert.deepEqual(out.state === 'done' ? out.record.result : undefined, { n: 7 });
  assert.equal(s.approvalEvents.size, 0);
});

test('a call decided before the wait began is answered at once', async (t) => {
  const s = setup(t);
  const item = s.queue();
  assert.equal(s.approvals.decide(item.id, 'reject', ADMIN).ok, true);
  assert.deepEqual(await waitForDecision(s.deps, opts(item, new AbortController().signal)), { state: 'rejected' });
  assert.equal(s.approvalEvents.size, 0);
});

test('a rejection while waiting ends the wait as rejected', async (t) => {
  const s = setup(t);
  const item = s.queue();
  const waiting = waitForDecision(s.deps, opts(item, new AbortController().signal));
  assert.equal(s.approvals.decide(item.id, 'reject', ADMIN, 'no').ok, true);
  assert.deepEqual(await waiting, { state: 'rejected' });
  assert.equal(s.approvalEvents.size, 0);
});

test('an item past its deadline is expired by the wait (the store expires lazily)', async (t) => {
  const s = setup(t);
  const item = s.queue();
  s.clock.offset = 61_000;
  assert.deepEqual(await waitForDecision(s.deps, opts(item, new AbortController().signal)), { state: 'expired' });
  assert.equal(s.approvals.get(item.id)?.status, 'expired');
  assert.equal(s.approvalEvents.size, 0);
});

test('a client that goes away cancels nothing: the approval stays pending and approvable; no listener remains', async (t) => {
  const s = setup(t);
  const item = s.queue();
  const ac = new AbortController();
  const waiting = waitForDecision(s.deps, opts(item, ac.signal));
  assert.equal(s.approvalEvents.size, 1);
  ac.abort();
  assert.deepEqual(await waiting, { state: 'aborted' });
  assert.equal(s.approvalEvents.size, 0);
  assert.equal(s.approvals.get(item.id)?.status, 'pending');
  s.runApproved(item);
  assert.equal(s.approvals.get(item.id)?.status, 'executed');
});

test('an already aborted signal never subscribes', async (t) => {
  const s = setup(t);
  const item = s.queue();
  const ac = new AbortController();
  ac.abort();
  assert.deepEqual(await waitForDecision(s.deps, opts(item, ac.signal)), { state: 'aborted' });
  assert.equal(s.approvalEvents.size, 0);
});

test('the wait ends at its time limit with the approval untouched', async (t) => {
  const s = setup(t);
  const item = s.queue();
  assert.deepEqual(await waitForDecision(s.deps, opts(item, new AbortController().signal, 30)), { state: 'timeout' });
  assert.equal(s.approvalEvents.size, 0);
  assert.equal(s.approvals.get(item.id)?.status, 'pending');
});

test('when the change feed is full the wait gives up at once (the call stays pending)', async (t) => {
  const s = setup(t, 0);
  const item = s.queue();
  assert.deepEqual(await waitForDecision(s.deps, opts(item, new AbortController().signal)), { state: 'unavailable' });
});

test('ticks are sent while waiting and stop when it ends; a throwing tick does not end the wait', async (t) => {
  const s = setup(t);
  const item = s.queue();
  let ticks = 0;
  const waiting = waitForDecision(s.deps, {
    ...opts(item, new AbortController().signal),
    tickMs: 100,
    onTick: () => {
      ticks += 1;
      if (ticks === 1) throw new Error('client gone');
      if (ticks === 2) s.runApproved(item);
    },
  });
  assert.equal((await waiting).state, 'done');
  const after = ticks;
  await new Promise((r) => setTimeout(r, 250));
  assert.equal(ticks, after, 'no tick after the wait ended');
  assert.equal(after, 2);
});
