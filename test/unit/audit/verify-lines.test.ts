/**
 * The pure verifier over forged logs, line by line: shape, seq, the hash chain, the GCM tag and
 * the key. Every case asserts the whole result (reason, first bad seq, entries, message).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decryptLine, parseLine, sha256Hex } from '../../../agent-gateway/audit/line.ts';
import { buildLines, chain, checkpointText, defaultKeys, hashOf, KEY_B, KEY_X, run, toFile } from './verify-fixture.ts';

test('an intact log verifies with every line counted and no checkpoint', () => {
  assert.deepEqual(run(chain(5)), { ok: true, entries: 5, last_checkpoint: null });
});

test('an empty log verifies with zero entries', () => {
  assert.deepEqual(run([]), { ok: true, entries: 0, last_checkpoint: null });
});

test('a torn final write is reported with its offset and size, not counted as tampering', () => {
  const lines = chain(3);
  const r = run(lines, { tail: '{"v":1,"se' });
  assert.deepEqual(r, { ok: true, entries: 3, last_checkpoint: null, torn_tail: { offset: toFile(lines).length, bytes: 10 } });
});

test('a line that is not JSON is malformed_line at its seq and stops the check there', () => {
  const lines = chain(5);
  lines[2] = 'not json at all';
  assert.deepEqual(run(lines), {
    ok: false, entries: 2, first_bad_seq: 3, reason: 'malformed_line', code: 'AUDIT_ERR_TAMPERED',
    message: 'line 3: not JSON', last_checkpoint: null,
  });
});

test('a malformed first line is named as seq 1', () => {
  const lines = chain(2);
  lines[0] = JSON.stringify({ ...JSON.parse(lines[0] ?? ''), extra: 1 });
  const r = run(lines);
  assert.deepEqual([r.first_bad_seq, r.reason, r.message, r.entries], [1, 'malformed_line', 'line 1: wrong fields', 0]);
});

test('lines cut out of the middle are seq_mismatch with the missing range', () => {
  const lines = chain(6);
  lines.splice(2, 2); // seqs 3 and 4 are gone
  assert.deepEqual(run(lines), {
    ok: false, entries: 2, first_bad_seq: 3, reason: 'seq_mismatch', code: 'AUDIT_ERR_TAMPERED',
    message: 'expected seq 3, found 5', missing: { from: 3, to: 4 }, last_checkpoint: null,
  });
});

test('a repeated (older) seq is seq_mismatch without a missing range', () => {
  const lines = chain(3);
  lines.push(lines[1] ?? '');
  const r = run(lines);
  assert.deepEqual([r.first_bad_seq, r.reason, r.message, r.missing, r.entries], [4, 'seq_mismatch', 'expected seq 4, found 2', undefined, 3]);
  assert.equal(Object.hasOwn(r, 'missing'), false);
});

test('a line re-encrypted with the real key (valid GCM tag) but a wrong prev is chain_mismatch at that seq', () => {
  const good = chain(5);
  // the forger holds the key: seq 3 chains to line 1 instead of line 2, with a valid tag
  const forged = buildLines([{ seq: 3, prev: hashOf(good, 1) }])[0] ?? '';
  const parsed = parseLine(forged);
  assert.ok(parsed.ok);
  assert.equal(decryptLine(parsed.line, defaultKeys()).ok, true, 'the forged line authenticates');
  assert.equal(parsed.line.prev, hashOf(good, 1));
  const lines = [...good];
  lines[2] = forged;
  assert.deepEqual(run(lines), {
    ok: false, entries: 2, first_bad_seq: 3, reason: 'chain_mismatch', code: 'AUDIT_ERR_TAMPERED',
    message: 'seq 3 does not chain to the previous line', last_checkpoint: null,
  });
});

test('a valid-tag line inserted in place of seq 1 with a non-genesis prev is chain_mismatch at 1', () => {
  const forged = buildLines([{ seq: 1, prev: 'a'.repeat(64) }]);
  const r = run(forged);
  assert.deepEqual([r.ok, r.first_bad_seq, r.reason, r.entries], [false, 1, 'chain_mismatch', 0]);
});

test('an edited ciphertext is tag_mismatch at the first failing seq; later lines are not counted', () => {
  const lines = buildLines([{ seq: 1 }, { seq: 2 }, { seq: 3, key: KEY_B }, { seq: 4 }, { seq: 5, key: KEY_B }]);
  assert.deepEqual(run(lines), {
    ok: false, entries: 2, first_bad_seq: 3, reason: 'tag_mismatch', code: 'AUDIT_ERR_TAMPERED',
    message: 'seq 3 failed authentication (edited)', last_checkpoint: null,
  });
});

test('a kid with no key in the ring is wrong_key at that seq (AUDIT_ERR_WRONG_KEY)', () => {
  const lines = buildLines([{ seq: 1 }, { seq: 2, kid: 'kz', key: KEY_X }, { seq: 3 }]);
  assert.deepEqual(run(lines), {
    ok: false, entries: 1, first_bad_seq: 2, reason: 'wrong_key', code: 'AUDIT_ERR_WRONG_KEY',
    message: 'no audit key for kid kz', last_checkpoint: null,
  });
});

test('a kid whose lines never decrypt is wrong_key, not tampering', () => {
  const lines = buildLines([{ seq: 1 }, { seq: 2 }, { seq: 3, kid: 'kb', key: KEY_X }, { seq: 4, kid: 'kb', key: KEY_X }]);
  assert.deepEqual(run(lines), {
    ok: false, entries: 2, first_bad_seq: 3, reason: 'wrong_key', code: 'AUDIT_ERR_WRONG_KEY',
    message: 'the audit key does not decrypt this log (kid kb)', last_checkpoint: null,
  });
});

test('one failing line of a kid that decrypts other lines is tag_mismatch', () => {
  const lines = buildLines([{ seq: 1 }, { seq: 2, kid: 'kb', key: KEY_X }, { seq: 3, kid: 'kb' }]);
  const r = run(lines);
  assert.deepEqual([r.reason, r.code, r.first_bad_seq, r.entries], ['tag_mismatch', 'AUDIT_ERR_TAMPERED', 2, 1]);
});

test('a tag failure before an unknown kid is reported first (the lower seq wins)', () => {
  const lines = buildLines([{ seq: 1 }, { seq: 2, key: KEY_B }, { seq: 3 }, { seq: 4, kid: 'kz' }]);
  const r = run(lines);
  assert.deepEqual([r.reason, r.first_bad_seq, r.entries, r.message], ['tag_mismatch', 2, 1, 'seq 2 failed authentication (edited)']);
});

test('a chain break after a tag failure still reports the tag failure (lower seq)', () => {
  const lines = buildLines([{ seq: 1 }, { seq: 2, key: KEY_B }, { seq: 3 }, { seq: 4, prev: 'b'.repeat(64) }]);
  const r = run(lines);
  assert.deepEqual([r.reason, r.first_bad_seq], ['tag_mismatch', 2]);
});

test('a seq gap keeps its own range even when a checkpoint covers the end of the file', () => {
  const lines = chain(6);
  lines.splice(2, 2); // 1, 2, 5, 6
  const r = run(lines, { checkpoints: [checkpointText(6, sha256Hex(lines[3] ?? ''))] });
  assert.deepEqual([r.reason, r.first_bad_seq, r.missing, r.message], ['seq_mismatch', 3, { from: 3, to: 4 }, 'expected seq 3, found 5']);
  assert.deepEqual(r.last_checkpoint?.seq, 6);
});
