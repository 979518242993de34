import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { test } from 'node:test';
import { generateKeyPairSync } from 'node:crypto';
import { loadReceiptSigner, sha256Json, signerFromKey, verifyReceipt, type UnsignedReceipt } from '../../../agent-gateway/receipts/receipt.ts';
import { tempDir } from '../../support/gateway.ts';

const fields: UnsignedReceipt = {
  v: 1, call_id: 'call_1', agent_id: 'bot', chain: [], tool: 'echo', args_sha256: sha256Json({ tool: 'echo', args: { text: 'a' } }),
  result_sha256: sha256Json({ text: 'a' }), decision: 'allow', rule_id: 'default:allow', policy_version: sha256Json({ rules: [] }),
  ts: '2026-12-02T12:00:00.000Z',
};

test('a receipt verifies with its key; the key file is generated once, 0600, and reused', () => {
  const dir = tempDir('palisade-receipt-');
  const s = loadReceiptSigner(dir);
  assert.equal(statSync(`${dir}/receipt-key.pem`).mode & 0o777, 0o600);
  assert.equal(loadReceiptSigner(dir).kid, s.kid, 'same key after a restart');
  const r = s.sign(fields);
  assert.equal(r.kid, s.kid);
  assert.deepEqual(verifyReceipt(r, s.publicKeyPem), { ok: true });
});

test('changing any signed field fails verification; a shape change names its field', () => {
  const s = signerFromKey(generateKeyPairSync('ed25519').privateKey);
  const r = s.sign(fields);
  const flips: Record<string, unknown> = {
    v: 2, call_id: 'call_2', agent_id: 'eve', chain: ['root'], tool: 'js.eval', args_sha256: sha256Json('x'), result_sha256: sha256Json('y'),
    decision: 'require_approval', rule_id: 'other', policy_version: sha256Json('z'), ts: '2026-12-02T12:00:01.000Z',
  };
  for (const [k, v] of Object.entries(flips)) {
    const res = verifyReceipt({ ...r, [k]: v }, s.publicKeyPem);
    assert.equal(res.ok, false, k);
    if (!res.ok) assert.ok(res.field === k || res.field === 'sig', `${k} → ${res.field}`);
  }
  const bad = verifyReceipt({ ...r, args_sha256: 'nothex' }, s.publicKeyPem);
  assert.deepEqual(bad.ok ? undefined : bad.field, 'args_sha256');
  // a character in the middle (the last one carries padding bits: a change there may decode the same)
  const sig = verifyReceipt({ ...r, sig: `${r.sig.slice(0, 10)}${r.sig[10] === 'A' ? 'B' : 'A'}${r.sig.slice(11)}` }, s.publicKeyPem);
  assert.equal(sig.ok ? undefined : sig.field, 'sig');
});

test('a receipt from another key fails and names kid; a re-signed receipt under another key fails on the kid check', () => {
  const a = signerFromKey(generateKeyPairSync('ed25519').privateKey);
  const b = signerFromKey(generateKeyPairSync('ed25519').privateKey);
  const res = verifyReceipt(a.sign(fields), b.publicKeyPem);
  assert.equal(res.ok ? undefined : res.field, 'kid');
  const forged = { ...b.sign(fields), kid: a.kid };
  const f = verifyReceipt(forged, a.publicKeyPem);
  assert.equal(f.ok ? undefined : f.field, 'sig');
});
