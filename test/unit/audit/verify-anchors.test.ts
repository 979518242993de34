/**
 * The pure verifier against what pins the log from outside the file: signed checkpoints and
 * the sqlite head (truncation, rewrites), and the incidents recorded at start (a crossed
 * truncation gap, garbage moved aside, a head mismatch) until they are acknowledged.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chain, checkpointText, hashOf, incident, OTHER_KEY, run, SIGNING_KEY, tsOf } from './verify-fixture.ts';

test('signed checkpoints that match their lines verify; the highest seq is the last checkpoint', () => {
  const lines = chain(5);
  const r = run(lines, { checkpoints: [checkpointText(4, hashOf(lines, 4)), checkpointText(2, hashOf(lines, 2))] });
  assert.deepEqual(r, { ok: true, entries: 5, last_checkpoint: { seq: 4, ts: tsOf(1004) } });
});

test('of two checkpoints for the same seq the later one in the file is the last checkpoint', () => {
  const lines = chain(3);
  const later = tsOf(2000);
  const checkpoints = [checkpointText(3, hashOf(lines, 3)), checkpointText(1, hashOf(lines, 1)), checkpointText(3, hashOf(lines, 3), SIGNING_KEY, later)];
  const r = run(lines, { checkpoints });
  assert.deepEqual(r.last_checkpoint, { seq: 3, ts: later });
  assert.equal(r.ok, true);
});

test('a checkpoint at the last line of the file is not truncation', () => {
  const lines = chain(4);
  assert.deepEqual(run(lines, { checkpoints: [checkpointText(4, hashOf(lines, 4))] }), { ok: true, entries: 4, last_checkpoint: { seq: 4, ts: tsOf(1004) } });
});

test('a validly signed checkpoint over another line hash is checkpoint_head_mismatch at its seq', () => {
  const lines = chain(5);
  assert.deepEqual(run(lines, { checkpoints: [checkpointText(3, hashOf(lines, 2))] }), {
    ok: false, entries: 2, first_bad_seq: 3, reason: 'checkpoint_head_mismatch', code: 'AUDIT_ERR_TAMPERED',
    message: 'line 3 differs from its checkpoint', last_checkpoint: { seq: 3, ts: tsOf(1003) },
  });
});

test('a checkpoint past the end of the file is truncation with the missing range', () => {
  const lines = chain(4);
  assert.deepEqual(run(lines, { checkpoints: [checkpointText(6, 'c'.repeat(64))] }), {
    ok: false, entries: 4, first_bad_seq: 5, reason: 'truncated', code: 'AUDIT_ERR_TAMPERED',
    message: 'checkpoint covers seq 6 but the log ends at 4', missing: { from: 5, to: 6 }, last_checkpoint: { seq: 6, ts: tsOf(1006) },
  });
});

test('a checkpoint signed with another key is checkpoint_bad_signature at its seq and is not used', () => {
  const lines = chain(3);
  assert.deepEqual(run(lines, { checkpoints: [checkpointText(2, hashOf(lines, 2), OTHER_KEY)] }), {
    ok: false, entries: 1, first_bad_seq: 2, reason: 'checkpoint_bad_signature', code: 'AUDIT_ERR_TAMPERED',
    message: 'checkpoint for seq 2 has a bad signature', last_checkpoint: null,
  });
});

test('a malformed checkpoint line fails verify without a seq and names the line number', () => {
  const lines = chain(3);
  assert.deepEqual(run(lines, { checkpoints: [checkpointText(1, hashOf(lines, 1)), '{"v":1}'] }), {
    ok: false, entries: 3, reason: 'checkpoint_malformed', code: 'AUDIT_ERR_TAMPERED',
    message: 'checkpoint line 2 is malformed', last_checkpoint: { seq: 1, ts: tsOf(1001) },
  });
});

test('a break in the log is reported before a malformed checkpoint', () => {
  const lines = chain(3);
  lines[1] = 'x';
  const r = run(lines, { checkpoints: ['nope'] });
  assert.deepEqual([r.reason, r.first_bad_seq], ['malformed_line', 2]);
});

test('the sqlite head matching its line verifies and is echoed', () => {
  const lines = chain(3);
  assert.deepEqual(run(lines, { head: { seq: 3, head: hashOf(lines, 3) } }), { ok: true, entries: 3, last_checkpoint: null, head: { seq: 3 } });
  // the log may be ahead of the head (a power loss rolls the head back), never behind it
  assert.equal(run(lines, { head: { seq: 2, head: hashOf(lines, 2) } }).ok, true);
  assert.deepEqual(run(lines, { head: null }), { ok: true, entries: 3, last_checkpoint: null });
});

test('a head of seq 0 (nothing committed) accepts any log', () => {
  assert.deepEqual(run([], { head: { seq: 0, head: 'd'.repeat(64) } }), { ok: true, entries: 0, last_checkpoint: null, head: { seq: 0 } });
  assert.equal(run(chain(2), { head: { seq: 0, head: 'd'.repeat(64) } }).ok, true);
});

test('a line that differs from the sqlite head is head_mismatch (rewritten)', () => {
  const lines = chain(4);
  assert.deepEqual(run(lines, { head: { seq: 2, head: hashOf(lines, 3) } }), {
    ok: false, entries: 1, first_bad_seq: 2, reason: 'head_mismatch', code: 'AUDIT_ERR_TAMPERED',
    message: 'line 2 differs from the sqlite head (rewritten)', last_checkpoint: null, head: { seq: 2 },
  });
});

test('a log that ends before its sqlite head is truncated with the missing seqs', () => {
  const lines = chain(3);
  const one = run(lines, { head: { seq: 4, head: 'e'.repeat(64) } });
  assert.deepEqual([one.reason, one.first_bad_seq, one.missing, one.message, one.entries],
    ['truncated', 4, { from: 4, to: 4 }, 'line 4 is missing: the log ends at seq 3 but its sqlite head is seq 4 (truncated)', 3]);
  const many = run([], { head: { seq: 3, head: 'e'.repeat(64) } });
  assert.deepEqual([many.first_bad_seq, many.missing, many.message],
    [1, { from: 1, to: 3 }, 'lines 1..3 are missing: the log ends at seq 0 but its sqlite head is seq 3 (truncated)']);
});

test('a checkpoint and the head past the same end merge into one missing range', () => {
  const lines = chain(8);
  const cp = [checkpointText(10, 'f'.repeat(64))];
  const r = run(lines, { checkpoints: cp, head: { seq: 12, head: 'f'.repeat(64) } });
  assert.deepEqual([r.reason, r.first_bad_seq, r.missing, r.message], ['truncated', 9, { from: 9, to: 12 }, 'lines 9..12 are missing (truncated)']);
  const r2 = run(lines, { checkpoints: [checkpointText(12, 'f'.repeat(64))], head: { seq: 10, head: 'f'.repeat(64) } });
  assert.deepEqual([r2.missing, r2.message], [{ from: 9, to: 12 }, 'lines 9..12 are missing (truncated)']);
});

/** seqs 1..8 with 4..6 lost: line 7 chains to the lost line 6 (the anchor the writer used) */
function crossedLog(): { lines: string[]; anchor: string; full: string[] } {
  const full = chain(8);
  const lines = [...full.slice(0, 3), ...full.slice(6)];
  return { lines, anchor: hashOf(full, 6), full };
}
const ACK = { at: '2026-12-02T01:00:00.000Z', by: 'user:admin', note: 'restored from backup' };

test('an acknowledged truncation is crossed: lines after the gap are chain-checked and verify passes', () => {
  const { lines, anchor, full } = crossedLog();
  const inc = incident({ reason: 'truncated', from_seq: 4, to_seq: 6, anchor, acknowledged: ACK });
  // a checkpoint and a head inside the lost range are not compared with lines that are gone
  const checkpoints = [checkpointText(5, hashOf(full, 5)), checkpointText(8, hashOf(full, 8))];
  const r = run(lines, { incidents: [inc], checkpoints, head: { seq: 5, head: 'a'.repeat(64) } });
  assert.deepEqual(r, { ok: true, entries: 5, last_checkpoint: { seq: 8, ts: tsOf(1008) }, head: { seq: 5 }, incidents: [inc] });
});

test('an unacknowledged recorded truncation fails verify at its first lost seq, naming the incident', () => {
  const { lines, anchor } = crossedLog();
  const r = run(lines, { incidents: [incident({ reason: 'truncated', from_seq: 4, to_seq: 6, anchor })] });
  assert.deepEqual([r.ok, r.reason, r.first_bad_seq, r.missing, r.entries, r.message],
    [false, 'truncated', 4, { from: 4, to: 6 }, 3, 'lines 4..6 are missing (truncation recorded at start, incident 7)']);
  const single = run(chain(3), { incidents: [incident({ reason: 'truncated', from_seq: 4, to_seq: 4, anchor: 'a'.repeat(64) })] });
  assert.equal(single.message, 'line 4 is missing (truncation recorded at start, incident 7)');
});

test('a recorded truncation does not excuse a different gap or a wrong anchor', () => {
  const { lines, anchor } = crossedLog();
  const otherRange = run(lines, { incidents: [incident({ reason: 'truncated', from_seq: 4, to_seq: 5, anchor, acknowledged: ACK })] });
  assert.deepEqual([otherRange.reason, otherRange.first_bad_seq, otherRange.missing], ['seq_mismatch', 4, { from: 4, to: 6 }]);
  const noAnchor = run(lines, { incidents: [incident({ reason: 'truncated', from_seq: 4, to_seq: 6, acknowledged: ACK })] });
  assert.deepEqual([noAnchor.reason, noAnchor.first_bad_seq], ['seq_mismatch', 4]);
  const wrongAnchor = run(lines, { incidents: [incident({ reason: 'truncated', from_seq: 4, to_seq: 6, anchor: 'a'.repeat(64), acknowledged: ACK })] });
  assert.deepEqual([wrongAnchor.reason, wrongAnchor.first_bad_seq, wrongAnchor.message], ['chain_mismatch', 7, 'seq 7 does not chain to the previous line']);
  const notTruncation = run(lines, { incidents: [incident({ reason: 'head_mismatch', from_seq: 4, to_seq: 6, anchor, acknowledged: ACK })] });
  assert.deepEqual([notTruncation.reason, notTruncation.first_bad_seq], ['seq_mismatch', 4]);
});

test('garbage moved aside at start fails verify until acknowledged, with the count and the place', () => {
  const lines = chain(3);
  const inc = incident({ reason: 'garbage_tail', from_seq: 4, to_seq: 4, detail: { lines: 2, moved_to: '/data/audit/garbage-1.jsonl' } });
  assert.deepEqual(run(lines, { incidents: [inc] }), {
    ok: false, entries: 3, first_bad_seq: 4, reason: 'garbage_tail', code: 'AUDIT_ERR_TAMPERED',
    message: '2 line(s) that are not audit lines followed seq 3 at start; moved aside to /data/audit/garbage-1.jsonl (incident 7)',
    last_checkpoint: null, incidents: [inc],
  });
  const bare = run(lines, { incidents: [incident({ reason: 'garbage_tail', from_seq: 4, to_seq: 4 })] });
  assert.equal(bare.message, '? line(s) that are not audit lines followed seq 3 at start; moved aside to ? (incident 7)');
  const acked = incident({ reason: 'garbage_tail', from_seq: 4, to_seq: 4, acknowledged: ACK });
  assert.deepEqual(run(lines, { incidents: [acked] }), { ok: true, entries: 3, last_checkpoint: null, incidents: [acked] });
});

test('a head mismatch recorded at start fails verify with the incident id', () => {
  const r = run(chain(3), { incidents: [incident({ reason: 'head_mismatch', from_seq: 2, to_seq: 2 })] });
  assert.deepEqual([r.reason, r.first_bad_seq, r.entries, r.message], ['head_mismatch', 2, 1, 'line 2 differed from the sqlite head at start (incident 7)']);
});

test('no incidents leaves the incidents field out', () => {
  assert.deepEqual(run(chain(1), { incidents: [] }), { ok: true, entries: 1, last_checkpoint: null });
});
