/**
 * writeAll (the audit log's batch write): a batch up to INLINE_WRITE_BYTES is copied into the
 * page cache by one blocking write before writeAll returns its promise, with no thread-pool round
 * trip on the commit path (issue 23); a larger one goes through the thread pool so the event loop
 * never blocks on a big copy. Both write every byte, in order. Which path ran is read from a
 * counter on fs.writeSync (the named import follows it through syncBuiltinESMExports), not from
 * the file's size, which a thread-pool write may already have changed.
 */
import assert from 'node:assert/strict';
import fs, { closeSync, fstatSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { INLINE_WRITE_BYTES, writeAll } from '../../../agent-gateway/audit/fsutil.ts';

test('a small batch is on the file before writeAll yields; a large one is written off the loop; both whole and in order', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-writeall-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'log');
  const fd = openSync(file, 'a', 0o600);
  t.after(() => closeSync(fd));
  const original = fs.writeSync;
  let inline = 0;
  fs.writeSync = ((...args: Parameters<typeof original>) => {
    inline += 1;
    return original(...args);
  }) as typeof original;
  syncBuiltinESMExports();
  t.after(() => {
    fs.writeSync = original;
    syncBuiltinESMExports();
  });

  const small = Buffer.from('{"line":1}\n');
  const pendingSmall = writeAll(fd, small);
  assert.equal(inline, 1);
  assert.equal(fstatSync(fd).size, small.length, 'the small batch was written before the first await');
  await pendingSmall;

  const large = Buffer.alloc(INLINE_WRITE_BYTES + 1, 0x61);
  await writeAll(fd, large);
  assert.equal(inline, 1, 'the large batch was not written on the event loop');

  const all = readFileSync(file);
  assert.equal(all.length, small.length + large.length);
  assert.deepEqual(all.subarray(0, small.length), small);
  assert.ok(all.subarray(small.length).every((b) => b === 0x61));
});
