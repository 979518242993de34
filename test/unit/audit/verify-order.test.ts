/**
 * The pure verifier when several things are wrong at once: the lowest seq is reported, ranges at
 * the same seq merge, and a recorded truncation gap excuses only checkpoints and heads inside it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildLines, chain, checkpointText, hashOf, incident, run } from './verify-fixture.ts';

const ACK = { at: '2026-12-02T01:00:00.000Z', by: 'user:admin', note: 'restored' };

test('an earlier break is reported over a truncation found later; ranges at different seqs do not merge', () => {
  const lines = chain(6);
  lines.splice(2, 2); // 1, 2, 5, 6: seq_mismatch at 3, and the head says 9
  const r = run(lines, { head: { seq: 9, head: 'a'.repeat(64) } });
  assert.deepEqual([r.reason, r.first_bad_seq, r.missing, r.message], ['seq_mismatch', 3, { from: 3, to: 4 }, 'expected seq 3, found 5']);
  const broken = buildLines([{ seq: 1 }, { seq: 2, prev: 'b'.repeat(64) }, { seq: 3 }]);
  const c = run(broken, { head: { seq: 5, head: 'a'.repeat(64) } });
  assert.deepEqual([c.reason, c.first_bad_seq, c.missing], ['chain_mismatch', 2, undefined]);
});

test('a malformed last line is reported, not replaced by the head truncation at the same seq', () => {
  const lines = [...chain(3), '{"v":1,"seq":4}'];
  const r = run(lines, { head: { seq: 5, head: 'a'.repeat(64) } });
  assert.deepEqual([r.reason, r.first_bad_seq, r.message, r.missing], ['malformed_line', 4, 'line 4: wrong fields', undefined]);
});

test('a truncation keeps its range when an incident without a range names the same seq', () => {
  const r = run(chain(3), { head: { seq: 5, head: 'a'.repeat(64) }, incidents: [incident({ reason: 'garbage_tail', from_seq: 4, to_seq: 4 })] });
  assert.deepEqual([r.reason, r.first_bad_seq, r.missing, r.message],
    ['truncated', 4, { from: 4, to: 5 }, 'lines 4..5 are missing: the log ends at seq 3 but its sqlite head is seq 5 (truncated)']);
});

test('a checkpoint or head over the last line of the file is compared with it', () => {
  const lines = chain(5);
  const cp = run(lines, { checkpoints: [checkpointText(5, hashOf(lines, 4))] });
  assert.deepEqual([cp.reason, cp.first_bad_seq, cp.message], ['checkpoint_head_mismatch', 5, 'line 5 differs from its checkpoint']);
  const head = run(lines, { head: { seq: 5, head: hashOf(lines, 4) } });
  assert.deepEqual([head.reason, head.first_bad_seq, head.message], ['head_mismatch', 5, 'line 5 differs from the sqlite head (rewritten)']);
});

/** seqs 1..8 with 4..6 lost: line 7 chains to the lost line 6 */
function crossed(): { lines: string[]; full: string[]; anchor: string } {
  const full = chain(8);
  return { lines: [...full.slice(0, 3), ...full.slice(6)], full, anchor: hashOf(full, 6) };
}

test('a crossed gap excuses checkpoints at its first and last lost seq, and nothing outside it', () => {
  const { lines, full, anchor } = crossed();
  const gap = incident({ reason: 'truncated', from_seq: 4, to_seq: 6, anchor, acknowledged: ACK });
  const edges = run(lines, { incidents: [gap], checkpoints: [checkpointText(4, hashOf(full, 4)), checkpointText(6, hashOf(full, 6))] });
  assert.equal(edges.ok, true, edges.message);
  for (const seq of [3, 7]) {
    const r = run(lines, { incidents: [gap], checkpoints: [checkpointText(seq, 'c'.repeat(64))] });
    assert.deepEqual([r.reason, r.first_bad_seq], ['checkpoint_head_mismatch', seq], `checkpoint at ${seq}`);
  }
  const head = run(lines, { incidents: [gap], head: { seq: 8, head: 'c'.repeat(64) } });
  assert.deepEqual([head.reason, head.first_bad_seq], ['head_mismatch', 8]);
});

test('a recorded gap that starts elsewhere is not crossed even if it ends where the jump ends', () => {
  const { lines, anchor } = crossed();
  const r = run(lines, { incidents: [incident({ reason: 'truncated', from_seq: 3, to_seq: 6, anchor, acknowledged: ACK })] });
  assert.deepEqual([r.reason, r.first_bad_seq, r.missing], ['seq_mismatch', 4, { from: 4, to: 6 }]);
});
