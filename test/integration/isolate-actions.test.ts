/** Every built-in action runs end to end in the real isolate host child process. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { WorkerBackend, WorkerResult } from '../../sandbox/worker-backend.ts';
import { action, assertFailed, limits, startBackend } from '../support/isolate-harness.ts';

const valueOf = (r: WorkerResult): unknown => (r.ok ? r.value : { failed: r.code, message: r.message });

describe('built-in actions in the isolate backend', () => {
  let backend: WorkerBackend;
  before(async () => {
    backend = await startBackend();
  });
  after(() => backend.close());
  const run = (name: string, args: Parameters<typeof action>[1], timeoutMs = 5000): Promise<WorkerResult> =>
    backend.run(action(name, args), limits({ timeoutMs }));

  it('echo returns the text it was given', async () => {
    assert.deepEqual(valueOf(await run('echo', { text: 'héllo 😀' })), { text: 'héllo 😀' });
  });

  it('text.transform applies each documented op', async () => {
    const cases: Array<[string, string, unknown]> = [
      ['upper', 'abc é', 'ABC É'],
      ['lower', 'ABC É', 'abc é'],
      ['trim', '  x y  ', 'x y'],
      ['reverse', 'a😀b', 'b😀a'],
      ['title', 'hello wORLD-foo', 'Hello World-Foo'],
      ['length', 'a😀b', 3],
      ['word_count', '  one two\tthree\n', 3],
    ];
    for (const [op, text, expected] of cases) {
      assert.deepEqual(valueOf(await run('text.transform', { text, op })), { op, result: expected }, op);
    }
  });

  it('text.transform refuses an op outside its list', async () => {
    assertFailed(await run('text.transform', { text: 'x', op: 'eval' }), ['TOOL_ERR_THROWN']);
  });

  it('json.query reads values by $.a.b[0], a.b.0 and quoted keys', async () => {
    const data = { a: { b: [10, { c: 'deep' }] }, 'x y': true };
    assert.deepEqual(valueOf(await run('json.query', { data, path: '$.a.b[0]' })), { found: true, value: 10 });
    assert.deepEqual(valueOf(await run('json.query', { data, path: 'a.b.1.c' })), { found: true, value: 'deep' });
    assert.deepEqual(valueOf(await run('json.query', { data, path: '$["x y"]' })), { found: true, value: true });
    assert.deepEqual(valueOf(await run('json.query', { data, path: '$.a.missing' })), { found: false });
    assert.deepEqual(valueOf(await run('json.query', { data, path: '$.a.b[7]' })), { found: false });
  });

  it('json.query rejects wildcards, recursion and prototype paths, and never reads inherited keys', async () => {
    for (const path of ['$..a', '$.*', '$.a[?(@.b)]', '$.__proto__', 'constructor', '$["a"]["prototype"]', '$.a.b[-1]', '$[01]']) {
      assertFailed(await run('json.query', { data: { a: 1 }, path }), ['TOOL_ERR_THROWN']);
    }
    assert.deepEqual(valueOf(await run('json.query', { data: {}, path: '$.toString' })), { found: false });
  });

  it('hash.digest matches node:crypto for sha1, sha256 and sha512 across padding boundaries', async () => {
    const inputs = ['', 'abc', 'a'.repeat(55), 'a'.repeat(56), 'a'.repeat(64), 'b'.repeat(111), 'b'.repeat(112), 'b'.repeat(128), 'ünïcødé 😀 \ud800 lone', 'z'.repeat(65536)];
    for (const algorithm of ['sha1', 'sha256', 'sha512']) {
      for (const data of inputs) {
        const expected = createHash(algorithm).update(data, 'utf8').digest('hex');
        assert.deepEqual(valueOf(await run('hash.digest', { algorithm, data }, 10_000)), { algorithm, hex: expected }, `${algorithm} of ${data.length} chars`);
      }
    }
  });

  it('regex.test returns the first match, its index, groups and named groups', async () => {
    assert.deepEqual(valueOf(await run('regex.test', { pattern: '(?<user>\\w+)@(\\w+)', flags: 'i', text: 'mail BOB@example now' })), {
      matched: true, index: 5, match: 'BOB@example', groups: ['BOB', 'example'], named: { user: 'BOB' },
    });
    assert.deepEqual(valueOf(await run('regex.test', { pattern: 'x(y)?', text: 'ax' })), {
      matched: true, index: 1, match: 'x', groups: [null], named: {},
    });
    assert.deepEqual(valueOf(await run('regex.test', { pattern: 'q', text: 'abc' })), {
      matched: false, index: -1, match: null, groups: [], named: {},
    });
  });

  it('regex.test refuses stateful or repeated flags and invalid patterns', async () => {
    for (const flags of ['g', 'y', 'ii', 'x']) assertFailed(await run('regex.test', { pattern: 'a', flags, text: 'a' }), ['TOOL_ERR_THROWN']);
    assertFailed(await run('regex.test', { pattern: '(', text: 'a' }), ['TOOL_ERR_THROWN']);
    assertFailed(await run('regex.test', { pattern: 'a'.repeat(513), text: 'a' }), ['TOOL_ERR_THROWN']);
  });

  it('js.eval runs code as an async function body with input in scope', async () => {
    assert.deepEqual(valueOf(await run('js.eval', { code: 'return input.n * 2', input: { n: 21 } })), 42);
    assert.deepEqual(valueOf(await run('js.eval', { code: 'await null; return [typeof input, "ok"]' })), ['undefined', 'ok']);
    assertFailed(await run('js.eval', { code: 'throw new TypeError("nope")' }), ['TOOL_ERR_THROWN']);
    assertFailed(await run('js.eval', { code: 'return (' }), ['TOOL_ERR_THROWN']);
    // issue 18 item 9: a bare expression returns nothing; the message says what to do
    const bare = await run('js.eval', { code: '1+2' });
    assertFailed(bare, ['SBX_ERR_BAD_OUTPUT']);
    assert.match(bare.ok ? '' : bare.message, /code is the body of an async function: use return/);
  });

  it('keeps no state between calls: each call gets a fresh context', async () => {
    assert.deepEqual(valueOf(await run('js.eval', { code: 'globalThis.leak = 1; Object.prototype.polluted = 1; return 1' })), 1);
    assert.deepEqual(valueOf(await run('js.eval', { code: 'return [typeof globalThis.leak, typeof ({}).polluted]' })), ['undefined', 'undefined']);
  });
});
