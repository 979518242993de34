import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nextStatus, isTerminal, APPROVAL_STATUSES, type ApprovalAction } from '../../../agent-gateway/approvals/state.ts';
import { canonicalJson, argsSha256 } from '../../../agent-gateway/approvals/canonical.ts';
import { checkDecider } from '../../../agent-gateway/approvals/principal.ts';

const ACTIONS: ApprovalAction[] = ['approve', 'reject', 'expire', 'executed', 'failed'];

test('only the documented transitions are allowed; every other pair is a conflict', () => {
  const allowed = new Map([
    ['pending/approve', 'approved'], ['pending/reject', 'rejected'], ['pending/expire', 'expired'],
    ['approved/executed', 'executed'], ['approved/failed', 'failed'],
  ]);
  for (const from of APPROVAL_STATUSES) {
    for (const action of ACTIONS) {
      const r = nextStatus(from, action);
      const want = allowed.get(`${from}/${action}`);
      if (want === undefined) {
        assert.deepEqual(r, { ok: false, code: 'GW_ERR_CONFLICT', message: `cannot ${action} an approval that is ${from}` });
      } else {
        assert.deepEqual(r, { ok: true, status: want });
      }
    }
  }
});

test('approving a rejected, expired or already approved item is a conflict', () => {
  for (const from of ['rejected', 'expired', 'approved', 'executed', 'failed'] as const) {
    assert.equal(nextStatus(from, 'approve').ok, false);
  }
});

test('terminal states are rejected, expired, executed and failed', () => {
  assert.deepEqual(APPROVAL_STATUSES.filter(isTerminal), ['rejected', 'expired', 'executed', 'failed']);
});

test('canonical JSON sorts keys at every level and has no whitespace', () => {
  assert.equal(canonicalJson({ b: [3, { z: 1, a: 'x' }], a: null, 'é': true, A: 1.5 }), '{"A":1.5,"a":null,"b":[3,{"a":"x","z":1}],"é":true}');
  assert.equal(canonicalJson('a"\n'), '"a\\"\\n"');
});

test('canonical JSON refuses values that are not JSON', () => {
  for (const bad of [undefined, NaN, Infinity, () => 1, new Date(0), { a: undefined }, [1n]]) {
    assert.throws(() => canonicalJson(bad), TypeError);
  }
  const cyclic: Record<string, unknown> = {};
  cyclic['self'] = cyclic;
  assert.throws(() => canonicalJson(cyclic), TypeError);
});

test('args digest is the same for reordered keys and differs for any change of tool or args', () => {
  const h = argsSha256('fs.write', { path: '/tmp/a', data: 'x' });
  assert.match(h, /^[0-9a-f]{64}$/);
  assert.equal(argsSha256('fs.write', { data: 'x', path: '/tmp/a' }), h);
  assert.notEqual(argsSha256('fs.read', { path: '/tmp/a', data: 'x' }), h);
  assert.notEqual(argsSha256('fs.write', { path: '/tmp/a', data: 'y' }), h);
  assert.notEqual(argsSha256('fs.write', { path: '/tmp/a', data: 'x', extra: null }), h);
  // fixed vector: `printf '{"args":{},"tool":"t"}' | sha256sum`
  assert.equal(argsSha256('t', {}), 'a9c1b56f2d5711641e3a95a211412b31f9042cd471d093fc67e268e679fd0f45');
});

test('only an admin other than the requester may approve; the agent itself never', () => {
  const item = { agent_id: 'bot', requested_by: 'agent:bot' };
  assert.deepEqual(checkDecider({ kind: 'admin', username: 'alice' }, 'approve', item), { ok: true });
  assert.equal(checkDecider({ kind: 'agent', agentId: 'bot' }, 'approve', item).ok, false);
  assert.equal(checkDecider({ kind: 'user', username: 'alice' }, 'approve', item).ok, false);
  assert.equal(checkDecider({ kind: 'admin', username: '' }, 'approve', item).ok, false);
  const byAdmin = { agent_id: 'bot', requested_by: 'admin:alice' };
  assert.equal(checkDecider({ kind: 'admin', username: 'alice' }, 'approve', byAdmin).ok, false);
  assert.equal(checkDecider({ kind: 'admin', username: 'alice' }, 'reject', byAdmin).ok, true, 'a requester may withdraw (reject) its own request');
  assert.equal(checkDecider({ kind: 'admin', username: 'bob' }, 'approve', byAdmin).ok, true);
});
