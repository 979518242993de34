import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readLines, readSse } from '../../../providers/adapters/stream-parse.ts';
import { ProviderError } from '../../../providers/errors.ts';

async function* chunks(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield new TextEncoder().encode(p);
}
async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

test('splits lines on LF, CRLF and CR, also when the terminator straddles chunks', async () => {
  assert.deepEqual(await all(readLines(chunks('a\nb\r', '\nc\rd', 'e\n', 'tail'), 100)), ['a', 'b', 'c', 'de', 'tail']);
});

test('reassembles a multi-byte UTF-8 character split across chunks', async () => {
  const bytes = new TextEncoder().encode('héllo\n');
  async function* split(): AsyncGenerator<Uint8Array> {
    yield bytes.slice(0, 2);
    yield bytes.slice(2);
  }
  assert.deepEqual(await all(readLines(split(), 100)), ['héllo']);
});

test('refuses a line longer than the cap, terminated or not', async () => {
  await assert.rejects(all(readLines(chunks('x'.repeat(50), 'y'.repeat(60)), 100)), (e: unknown) => e instanceof ProviderError && e.code === 'PRV_ERR_RESPONSE_TOO_LARGE');
  await assert.rejects(all(readLines(chunks(`${'x'.repeat(200)}\n`), 100)), (e: unknown) => e instanceof ProviderError && e.code === 'PRV_ERR_RESPONSE_TOO_LARGE');
});

test('parses SSE events: comments skipped, event names kept, multi-line data joined', async () => {
  const text = ': hi\nevent: message_start\ndata: {"a":1}\n\ndata: one\ndata:two\n\n\n';
  assert.deepEqual(await all(readSse(readLines(chunks(text), 1000), 1000)), [
    { event: 'message_start', data: '{"a":1}' },
    { event: 'message', data: 'one\ntwo' },
  ]);
});

test('refuses an SSE event whose data lines together exceed the cap', async () => {
  const text = `${'data: xxxxxxxxxx\n'.repeat(20)}\n`;
  await assert.rejects(all(readSse(readLines(chunks(text), 1000), 100)), (e: unknown) => e instanceof ProviderError && e.code === 'PRV_ERR_RESPONSE_TOO_LARGE');
});
