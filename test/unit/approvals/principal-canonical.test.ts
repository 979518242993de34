/**
 * Exact answers of the approval decider and of the canonical JSON digest (written to kill the
 * mutants `npm run mutate` found alive: principal strings of agents, refusal codes and reasons,
 * the nesting boundary, the error a caller sees).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { argsSha256, canonicalJson } from '../../../agent-gateway/approvals/canonical.ts';
import { checkDecider, principalActor } from '../../../agent-gateway/approvals/principal.ts';

test('principalActor writes each kind of principal as kind:name', () => {
  assert.equal(principalActor({ kind: 'agent', agentId: 'bot' }), 'agent:bot');
  assert.equal(principalActor({ kind: 'admin', username: 'alice' }), 'admin:alice');
  assert.equal(principalActor({ kind: 'user', username: 'bob' }), 'user:bob');
});

test('checkDecider: the exact refusals (code and reason) and the admissions', () => {
  const item = { agent_id: 'bot', requested_by: 'admin:alice' };
  const notAdmin = { ok: false, code: 'GW_ERR_FORBIDDEN', message: 'only an admin may decide an approval' };
  assert.deepEqual(checkDecider({ kind: 'agent', agentId: 'bot' }, 'approve', item), notAdmin);
  assert.deepEqual(checkDecider({ kind: 'user', username: 'carol' }, 'reject', item), notAdmin);
  assert.deepEqual(checkDecider({ kind: 'admin', username: '' }, 'reject', item), notAdmin);
  assert.deepEqual(checkDecider({ kind: 'admin', username: 'alice' }, 'approve', item), {
    ok: false, code: 'GW_ERR_FORBIDDEN', message: 'the requesting principal may not approve its own call',
  });
  assert.deepEqual(checkDecider({ kind: 'admin', username: 'alice' }, 'reject', item), { ok: true }, 'a requester may withdraw (reject) its own call');
  assert.deepEqual(checkDecider({ kind: 'admin', username: 'dave' }, 'approve', item), { ok: true });
  // an agent named like an admin is a different principal
  assert.deepEqual(checkDecider({ kind: 'admin', username: 'bot' }, 'approve', { agent_id: 'bot', requested_by: 'agent:bot' }), { ok: true });
});

const nested = (depth: number, leaf: unknown, kind: 'array' | 'object'): unknown => {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = kind === 'array' ? [v] : { k: v };
  return v;
};

test('canonical JSON accepts exactly 64 levels of nesting, arrays and objects alike, and refuses 65', () => {
  for (const kind of ['array', 'object'] as const) {
    assert.equal(canonicalJson(nested(64, 1, kind)), JSON.stringify(nested(64, 1, kind)), `${kind}: 64 levels`);
    assert.throws(() => canonicalJson(nested(65, 1, kind)), { name: 'TypeError', message: 'value nested too deeply for canonical JSON' }, `${kind}: 65 levels`);
  }
});

test('canonical JSON names what is not JSON', () => {
  assert.throws(() => canonicalJson(Number.NaN), { name: 'TypeError', message: 'non-finite number is not JSON' });
  assert.throws(() => canonicalJson(() => 1), { name: 'TypeError', message: 'function is not JSON' });
  assert.throws(() => canonicalJson({ a: undefined }), { name: 'TypeError', message: 'undefined is not JSON' });
});

test('argsSha256 is sha256 hex of the UTF-8 canonical {tool, args}', () => {
  const expected = createHash('sha256').update(Buffer.from('{"args":{"t":"é"},"tool":"echo"}', 'utf8')).digest('hex');
  assert.equal(argsSha256('echo', { t: 'é' }), expected);
});
