import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import { diagnoseReceipt, referenceFromBody } from '../../../agent-gateway/receipts/diagnose.ts';
import { sha256Json, signerFromKey, type UnsignedReceipt } from '../../../agent-gateway/receipts/receipt.ts';

const signer = signerFromKey(generateKeyPairSync('ed25519').privateKey);
const result = { text: 'a' };
const fields: UnsignedReceipt = {
  v: 1, call_id: 'call_1', agent_id: 'bot', chain: ['lead'], tool: 'echo', args_sha256: sha256Json({ tool: 'echo', args: { text: 'a' } }),
  result_sha256: sha256Json(result), decision: 'allow', rule_id: 'open', policy_version: sha256Json({ rules: [] }), ts: '2026-12-02T12:00:00.000Z',
};
const receipt = signer.sign(fields);
const stored = { source: 'gateway', fields: receipt as unknown as Record<string, unknown> };

test('every single edited field is named by restoring the gateway\'s stored value, with the value it was signed with', () => {
  const edits: Record<string, unknown> = {
    call_id: 'call_2', agent_id: 'eve', chain: [], tool: 'js.eval', args_sha256: sha256Json('x'), result_sha256: sha256Json('y'),
    decision: 'require_approval', rule_id: 'other', policy_version: sha256Json('z'), ts: '2026-12-02T12:00:01.000Z', sig: `${receipt.sig.slice(0, 10)}${receipt.sig[10] === 'A' ? 'B' : 'A'}${receipt.sig.slice(11)}`,
  };
  for (const [k, v] of Object.entries(edits)) {
    const d = diagnoseReceipt({ ...receipt, [k]: v }, signer.publicKeyPem, [stored]);
    assert.ok(d.found, k);
    assert.deepEqual(d.fields, [k]);
    assert.deepEqual(d.signed[k], (receipt as unknown as Record<string, unknown>)[k]);
  }
});

test('offline: the call body names call_id, tool, agent_id and result_sha256; a flipped decision is named with no reference at all', () => {
  const body = { status: 'ok', call_id: 'call_1', agent_id: 'bot', tool: 'echo', result };
  const ref = { source: 'body', fields: referenceFromBody(body) };
  assert.deepEqual(Object.keys(ref.fields).sort(), ['agent_id', 'call_id', 'result_sha256', 'tool']);
  for (const [k, v] of Object.entries({ call_id: 'call_9', agent_id: 'eve', tool: 'web.post', result_sha256: sha256Json({ text: 'forged' }) })) {
    const d = diagnoseReceipt({ ...receipt, [k]: v }, signer.publicKeyPem, [ref]);
    assert.ok(d.found && d.fields[0] === k && d.source === 'body', k);
  }
  const flipped = diagnoseReceipt({ ...receipt, decision: 'require_approval' }, signer.publicKeyPem, []);
  assert.ok(flipped.found);
  assert.deepEqual(flipped.fields, ['decision']);
  assert.equal(flipped.signed['decision'], 'allow');
});

test('several edited fields are named together; nothing is named when no reference restores the signature', () => {
  const two = diagnoseReceipt({ ...receipt, agent_id: 'eve', ts: '2027-01-01T00:00:00.000Z' }, signer.publicKeyPem, [stored]);
  assert.ok(two.found);
  assert.deepEqual([...two.fields].sort(), ['agent_id', 'ts']);
  // a bare receipt with an edited ts: nothing to restore it from
  assert.deepEqual(diagnoseReceipt({ ...receipt, ts: '2027-01-01T00:00:00.000Z' }, signer.publicKeyPem, []), { found: false });
  // a reference that is itself forged (another value) restores nothing: no false naming
  const lie = { source: 'forged body', fields: { agent_id: 'mallory' } };
  assert.deepEqual(diagnoseReceipt({ ...receipt, agent_id: 'eve' }, signer.publicKeyPem, [lie]), { found: false });
  // another key: no restoration verifies
  const other = signerFromKey(generateKeyPairSync('ed25519').privateKey);
  assert.deepEqual(diagnoseReceipt({ ...receipt, agent_id: 'eve' }, other.publicKeyPem, [stored]), { found: false });
  assert.deepEqual(diagnoseReceipt({ ...receipt, agent_id: 'eve' }, 'not a key', [stored]), { found: false });
});
