/**
 * Every bad input from issue 3 against the REAL isolate host: each is contained with a
 * contract error code, the next call succeeds and the backend reports healthy afterwards.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { JsonValue } from '../../sandbox/json.ts';
import type { WorkerBackend, WorkerJob } from '../../sandbox/worker-backend.ts';
import { action, assertFailed, assertRecovered, job, limits, startBackend } from '../support/isolate-harness.ts';

describe('bad input is contained by the isolate backend', () => {
  let backend: WorkerBackend;
  before(async () => {
    backend = await startBackend({ killGraceMs: 2000 });
  });
  after(() => backend.close());

  const contained = async (work: WorkerJob, codes: readonly string[], timeoutMs = 1000): Promise<void> => {
    assertFailed(await backend.run(work, limits({ timeoutMs })), codes);
    await assertRecovered(backend);
  };
  const evalJob = (code: string, input?: JsonValue): WorkerJob => action('js.eval', input === undefined ? { code } : { code, input });

  it('stops for(;;){} with SBX_ERR_TIMEOUT', async () => {
    await contained(evalJob('for(;;){}'), ['SBX_ERR_TIMEOUT']);
  });

  it('stops recursive microtasks with a promise that never settles', async () => {
    const code = 'const f = () => Promise.resolve().then(f); f(); await new Promise(() => {})';
    // the microtask loop either runs out the clock or fills the isolate heap first
    await contained(evalJob(code), ['SBX_ERR_TIMEOUT', 'SBX_ERR_MEMORY_LIMIT']);
  });

  it('stops a promise that never settles with SBX_ERR_TIMEOUT', async () => {
    await contained(evalJob('await new Promise(() => {})'), ['SBX_ERR_TIMEOUT']);
  });

  it('stops the catastrophic regex /^(a+)+$/ on 40 a\'s + ! with SBX_ERR_TIMEOUT', async () => {
    await contained(action('regex.test', { pattern: '^(a+)+$', text: `${'a'.repeat(40)}!` }), ['SBX_ERR_TIMEOUT']);
  });

  it('refuses new ArrayBuffer(2**30) with SBX_ERR_MEMORY_LIMIT', async () => {
    await contained(evalJob('const b = new ArrayBuffer(2 ** 30); return b.byteLength'), ['SBX_ERR_MEMORY_LIMIT']);
  });

  it('contains string doubling (V8 string length cap, memory limit, or the clock under load)', async () => {
    await contained(evalJob('let s = "ab"; for (;;) { s += s; s.charCodeAt(s.length - 1); }'), [
      'TOOL_ERR_THROWN', 'SBX_ERR_MEMORY_LIMIT', 'SBX_ERR_TIMEOUT',
    ]);
  });

  it('contains property explosion (isolated-vm #457), killing and restarting the child if needed', async () => {
    await contained(evalJob('const o = {}; for (let i = 0; ; i++) o["p" + i] = i;'), [
      'SBX_ERR_TIMEOUT', 'SBX_ERR_MEMORY_LIMIT', 'SBX_ERR_WORKER_CRASHED',
    ]);
  });

  it('contains an ArrayBuffer to Array copy (isolated-vm #527)', async () => {
    await contained(evalJob('return Array.from(new Uint8Array(2 ** 25)).length'), [
      'SBX_ERR_MEMORY_LIMIT', 'SBX_ERR_TIMEOUT', 'SBX_ERR_WORKER_CRASHED',
    ]);
  });

  it('applies the memory limit of the job, not only the default', async () => {
    const code = 'const a = []; for (let i = 0; i < 40; i++) a.push(new Array(128 * 1024).fill(i)); return a.length';
    const small = await backend.run(evalJob(code), limits({ timeoutMs: 5000, memoryMb: 16 }));
    assertFailed(small, ['SBX_ERR_MEMORY_LIMIT']);
    await assertRecovered(backend);
    const large = await backend.run(evalJob(code), limits({ timeoutMs: 5000, memoryMb: 128 }));
    assert.deepEqual(large.ok ? large.value : large, 40);
  });

  it('reports deep recursion as TOOL_ERR_THROWN', async () => {
    await contained(evalJob('const f = (n) => f(n + 1) + 1; return f(0)'), ['TOOL_ERR_THROWN']);
  });

  it('refuses a result nested 1e6 deep with SBX_ERR_BAD_OUTPUT', async () => {
    await contained(evalJob('return JSON.parse("[".repeat(1e6) + "]".repeat(1e6))'), ['SBX_ERR_BAD_OUTPUT'], 5000);
  });

  it('refuses a result nested deeper than the result depth limit with SBX_ERR_BAD_OUTPUT', async () => {
    await contained(evalJob('let v = 0; for (let i = 0; i < 1000; i++) v = [v]; return v'), ['SBX_ERR_BAD_OUTPUT']);
  });

  it('refuses args nested 1e6 deep before they reach a worker', async () => {
    let deep: JsonValue = 0;
    for (let i = 0; i < 1_000_000; i++) deep = [deep];
    await contained(evalJob('return 1', deep), ['SBX_ERR_BAD_FRAME', 'SBX_ERR_FRAME_TOO_LARGE']);
  });

  it('refuses a 10 MB source with SBX_ERR_FRAME_TOO_LARGE without sending it', async () => {
    await contained(job(`return 1; // ${'x'.repeat(10 * 1024 * 1024)}`), ['SBX_ERR_FRAME_TOO_LARGE']);
    await contained(evalJob(`/*${'y'.repeat(10 * 1024 * 1024)}*/ return 1`), ['SBX_ERR_FRAME_TOO_LARGE']);
  });

  it('refuses a 10 MB result with SBX_ERR_OUTPUT_TOO_LARGE', async () => {
    await contained(evalJob('return "x".repeat(10 * 1024 * 1024)'), ['SBX_ERR_OUTPUT_TOO_LARGE']);
  });

  it('applies maxOutputBytes exactly (UTF-8 bytes, not characters)', async () => {
    const r = await backend.run(evalJob('return "é".repeat(600)'), limits({ maxOutputBytes: 1000 }));
    assertFailed(r, ['SBX_ERR_OUTPUT_TOO_LARGE']);
    const ok = await backend.run(evalJob('return "é".repeat(400)'), limits({ maxOutputBytes: 1000 }));
    assert.equal(ok.ok, true);
  });

  it('refuses non-JSON results (undefined, function, BigInt, cycle) with SBX_ERR_BAD_OUTPUT', async () => {
    for (const code of ['return undefined', 'return () => 1', 'return 10n', 'const a = {}; a.self = a; return a', 'return Symbol("s")']) {
      await contained(evalJob(code), ['SBX_ERR_BAD_OUTPUT']);
    }
  });

  it('serialises getters inside the isolate and stops a looping getter with SBX_ERR_TIMEOUT', async () => {
    const ok = await backend.run(evalJob('return { get a() { return 5 }, b: 1 }'), limits());
    assert.deepEqual(ok.ok ? ok.value : ok, { a: 5, b: 1 });
    await contained(evalJob('return { get a() { for (;;) {} } }'), ['SBX_ERR_TIMEOUT']);
  });

  it('serialises a Proxy inside the isolate; a throwing trap is SBX_ERR_BAD_OUTPUT', async () => {
    const ok = await backend.run(evalJob('return new Proxy({ a: 1 }, { get: (t, k) => k === "a" ? 2 : t[k] })'), limits());
    assert.deepEqual(ok.ok ? ok.value : ok, { a: 2 });
    await contained(evalJob('return new Proxy({}, { ownKeys() { throw new Error("trap") } })'), ['SBX_ERR_BAD_OUTPUT']);
    await contained(evalJob('return { toJSON() { for (;;) {} } }'), ['SBX_ERR_TIMEOUT']);
  });

  it('truncates a thrown message to 1024 characters and sends no host stack', async () => {
    const r = await backend.run(evalJob('throw new Error("m".repeat(5000))'), limits());
    assertFailed(r, ['TOOL_ERR_THROWN']);
    if (!r.ok) {
      assert.equal(r.message, 'm'.repeat(1024));
    }
    const thrown = await backend.run(evalJob('throw { message: "plain object" }'), limits());
    assert.deepEqual(thrown.ok ? thrown : [thrown.code, thrown.message], ['TOOL_ERR_THROWN', 'plain object']);
    const stack = await backend.run(evalJob('null.x'), limits());
    assert.ok(!stack.ok && !/\/work|file:|node:|at /.test(stack.message), stack.ok ? '' : stack.message);
  });
});
