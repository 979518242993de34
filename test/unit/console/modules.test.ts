/**
 * The console's pure browser modules, run in Node: the SSE parser (chunk boundaries, CRLF,
 * comments, multi-line data), the text helpers that make bidi/invisible characters visible in
 * approvals, and the Prometheus text summing behind the live counters.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';

// plain .js modules without type declarations: imported by URL so tsc treats them as any
const load = (p: string): Promise<any> => import(new URL(`../../../agent-gateway/console/lib/${p}`, import.meta.url).href);

test('SSE parser: events split at any byte, CRLF and CR line ends, comments ignored, data lines joined', async () => {
  const { createSseParser } = await load('sse.js');
  const events: { event: string; data: string }[] = [];
  const p = createSseParser((e: { event: string; data: string }) => events.push(e));
  const text = ': ping\n\nevent: snapshot\ndata: {"items":[]}\n\ndata: {"a":1}\r\n\r\ndata: line1\rdata: line2\r\r: tail\n\n';
  for (const ch of text) p.push(ch);
  assert.deepEqual(events, [
    { event: 'snapshot', data: '{"items":[]}' },
    { event: 'message', data: '{"a":1}' },
    { event: 'message', data: 'line1\nline2' },
  ]);
});

test('SSE parser: a CR at the end of a chunk waits for a possible LF (no phantom empty line)', async () => {
  const { createSseParser } = await load('sse.js');
  const events: { data: string }[] = [];
  const p = createSseParser((e: { data: string }) => events.push(e));
  p.push('data: x\r');
  p.push('\ndata: y\r\n\r\n');
  assert.deepEqual(events.map((e) => e.data), ['x\ny']);
});

test('visible(): bidi overrides, isolates, zero-width and control characters become ⟦U+XXXX⟧; ordinary text, tabs and newlines stay', async () => {
  const { visible, hasInvisible, pretty } = await load('text.js');
  assert.equal(visible('abc\u202Edef\u202C'), 'abc⟦U+202E⟧def⟦U+202C⟧');
  assert.equal(visible('a\u2066b\u2069c\u200Bd\uFEFFe\u0000f\u001Bg'), 'a⟦U+2066⟧b⟦U+2069⟧c⟦U+200B⟧d⟦U+FEFF⟧e⟦U+0000⟧f⟦U+001B⟧g');
  assert.equal(visible('tab\tline\nnext – ünïcödé 日本'), 'tab\tline\nnext – ünïcödé 日本');
  assert.equal(hasInvisible('x\u202Ey'), true);
  assert.equal(hasInvisible('plain'), false);
  assert.equal(hasInvisible('plain'), false, 'no lastIndex state between calls');
  assert.equal(pretty({ k: 'a\u202Eb' }), '{\n  "k": "a⟦U+202E⟧b"\n}');
});

test('duration and clock formatting', async () => {
  const { clock, duration } = await load('text.js');
  assert.equal(clock(899_001), '15:00');
  assert.equal(clock(-5), '0:00');
  assert.equal(clock(3_723_000), '1:02:03');
  assert.equal(duration(4_200), '4 s');
  assert.equal(duration(185_000), '3 m 05 s');
});

test('metrics: samples summed by name and label filter; label values with escaped quotes parsed', async () => {
  const { parseMetrics, sum } = await load('metrics.js');
  const s = parseMetrics([
    '# HELP palisade_tool_calls_total Tool calls',
    'palisade_tool_calls_total{tool="echo",outcome="ok"} 3',
    'palisade_tool_calls_total{tool="js.eval",outcome="denied"} 2',
    'palisade_tool_calls_total{tool="x\\"y",outcome="kill_switch"} 1',
    'palisade_approvals_pending 4',
  ].join('\n'));
  assert.equal(sum(s, 'palisade_tool_calls_total'), 6);
  assert.equal(sum(s, 'palisade_tool_calls_total', { outcome: ['denied', 'kill_switch'] }), 3);
  assert.equal(sum(s, 'palisade_approvals_pending'), 4);
});
