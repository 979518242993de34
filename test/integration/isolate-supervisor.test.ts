/**
 * The supervisor side of the isolate backend against misbehaving children (a fake child via
 * the `command` override) and the real host: garbage, a frame declaring 4 GiB, protocol
 * violations, crashes, stuck children, saturation, abort, close, environment.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import type { HealthChange } from '../../sandbox/worker-backend.ts';
import { assertFailed, assertRecovered, fakeChild, job, limits, startBackend } from '../support/isolate-harness.ts';

function markerFile(t: TestContext): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'palisade-isolate-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return path.join(dir, 'started-once');
}

/** A child that misbehaves once in `mode`, then is replaced by the real host. */
async function misbehavesOnce(t: TestContext, mode: string, codes: readonly string[]): Promise<HealthChange[]> {
  const backend = await startBackend({ ...fakeChild(mode, markerFile(t)), backoffInitialMs: 50 }, t.after.bind(t));
  const changes: HealthChange[] = [];
  backend.onHealthChange((c) => changes.push(c));
  const result = await backend.run(job('return 1'), limits({ timeoutMs: 10_000 }));
  assertFailed(result, codes);
  assert.ok(result.durationMs < 10_000, 'ended by the misbehaviour, not by the call timeout');
  await assertRecovered(backend);
  return changes;
}

describe('isolate supervisor against misbehaving children', () => {
  it('restarts a child that writes garbage to its pipe; the call gets SBX_ERR_WORKER_CRASHED', async (t) => {
    const changes = await misbehavesOnce(t, 'garbage', ['SBX_ERR_WORKER_CRASHED']);
    assert.deepEqual(changes.map((c) => `${c.from}>${c.to}`), ['healthy>degraded', 'degraded>healthy']);
  });

  it('restarts a child whose frame declares 4 GiB, without waiting for the body', async (t) => {
    await misbehavesOnce(t, 'huge-header', ['SBX_ERR_WORKER_CRASHED']);
  });

  it('restarts a child that sends a frame that is not JSON', async (t) => {
    await misbehavesOnce(t, 'bad-json', ['SBX_ERR_WORKER_CRASHED']);
  });

  it('treats a result for an unknown job id as a protocol violation', async (t) => {
    await misbehavesOnce(t, 'wrong-id', ['SBX_ERR_WORKER_CRASHED']);
  });

  it('treats a result of the wrong shape as a protocol violation', async (t) => {
    await misbehavesOnce(t, 'bad-shape', ['SBX_ERR_WORKER_CRASHED']);
  });

  it('refuses a supervisor-only error code from a worker', async (t) => {
    await misbehavesOnce(t, 'supervisor-code', ['SBX_ERR_WORKER_CRASHED']);
  });

  it('re-checks the size of a result against maxOutputBytes', async (t) => {
    const backend = await startBackend(fakeChild('oversized-value'), t.after.bind(t));
    assertFailed(await backend.run(job('return 1'), limits({ maxOutputBytes: 1000 })), ['SBX_ERR_OUTPUT_TOO_LARGE']);
  });

  it('marks the call SBX_ERR_WORKER_CRASHED when the child exits under it, and restarts it', async (t) => {
    await misbehavesOnce(t, 'crash', ['SBX_ERR_WORKER_CRASHED']);
  });

  it('reports SBX_ERR_MEMORY_LIMIT when the child died of a V8 heap OOM', async (t) => {
    await misbehavesOnce(t, 'oom', ['SBX_ERR_MEMORY_LIMIT']);
  });

  it('kills a child that never answers: the call gets SBX_ERR_TIMEOUT and the child is restarted', async (t) => {
    const backend = await startBackend({ ...fakeChild('silent', markerFile(t)), killGraceMs: 200 }, t.after.bind(t));
    // a lower bound on a monotonic clock (load only makes it longer; 1 ms for timer rounding):
    // the call is not answered before its timeout and the kill grace have passed
    const started = performance.now();
    assertFailed(await backend.run(job('return 1'), limits({ timeoutMs: 300 })), ['SBX_ERR_TIMEOUT']);
    assert.ok(performance.now() - started >= 499, `answered after ${performance.now() - started} ms`);
    await assertRecovered(backend);
  });

  it('reports down when no child can start, and answers SBX_ERR_UNAVAILABLE', async (t) => {
    const backend = await startBackend({ ...fakeChild('exit-at-start'), backoffInitialMs: 10, backoffMaxMs: 50, maxStartFailures: 2 }, t.after.bind(t));
    assert.equal(backend.health().state, 'down');
    assertFailed(await backend.run(job('return 1'), limits()), ['SBX_ERR_UNAVAILABLE']);
  });

  it('reports down when the worker command cannot be spawned at all', async (t) => {
    const backend = await startBackend({ command: { command: '/nonexistent/palisade-node', args: [] }, backoffInitialMs: 10, backoffMaxMs: 20, maxStartFailures: 2 }, t.after.bind(t));
    assert.equal(backend.health().state, 'down');
    assertFailed(await backend.run(job('return 1'), limits()), ['SBX_ERR_UNAVAILABLE']);
  });

  it('kills a child that is never ready and counts it as a failed start', async (t) => {
    const backend = await startBackend({ ...fakeChild('never-ready'), readyTimeoutMs: 300, backoffInitialMs: 10, maxStartFailures: 1 }, t.after.bind(t));
    assert.equal(backend.health().state, 'down');
  });

  it('starts children with a minimal environment (no supervisor secrets)', async (t) => {
    process.env['PALISADE_TEST_SECRET'] = 'do-not-leak';
    t.after(() => delete process.env['PALISADE_TEST_SECRET']);
    const backend = await startBackend(fakeChild('env'), t.after.bind(t));
    const r = await backend.run(job('return 1'), limits());
    assert.deepEqual(r.ok ? r.value : r, ['NODE_ENV']);
  });
});

describe('isolate supervisor scheduling', () => {
  it('answers SBX_ERR_SATURATED at once when the queue is full', async (t) => {
    const backend = await startBackend({ queueLimit: 1 }, t.after.bind(t));
    const slow = job('await new Promise(() => {})');
    const running = backend.run(slow, limits({ timeoutMs: 1500 }));
    const queued = backend.run(job('return "queued"'), limits());
    let runningSettled = false;
    let queuedSettled = false;
    void running.then(() => { runningSettled = true; });
    void queued.then(() => { queuedSettled = true; });
    assertFailed(await backend.run(job('return 1'), limits()), ['SBX_ERR_SATURATED']);
    // "without waiting", shown by order instead of a wall-clock bound: the refusal arrived while
    // the running job (settles only at its 1500 ms timeout) and the queued one still wait
    assert.equal(runningSettled, false, 'saturation was answered only after the running job ended');
    assert.equal(queuedSettled, false);
    assertFailed(await running, ['SBX_ERR_TIMEOUT']);
    const q = await queued;
    assert.deepEqual(q.ok ? q.value : q, 'queued');
  });

  it('runs calls in parallel across children', async (t) => {
    const backend = await startBackend({ children: 2 }, t.after.bind(t));
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => backend.run(job('return args.i * 2', { i }), limits({ timeoutMs: 5000 }))));
    assert.deepEqual(results.map((r) => (r.ok ? r.value : r.code)), [0, 2, 4, 6, 8, 10]);
    assert.equal(backend.health().state, 'healthy');
  });

  it('honours an AbortSignal for queued and running calls', async (t) => {
    const backend = await startBackend({}, t.after.bind(t));
    const running = new AbortController();
    const queued = new AbortController();
    const first = backend.run(job('await new Promise(() => {})'), limits({ timeoutMs: 1000 }), running.signal);
    const second = backend.run(job('return 2'), limits(), queued.signal);
    queued.abort();
    assertFailed(await second, ['SBX_ERR_ABORTED']);
    running.abort();
    assertFailed(await first, ['SBX_ERR_ABORTED']);
    const pre = new AbortController();
    pre.abort();
    assertFailed(await backend.run(job('return 3'), limits(), pre.signal), ['SBX_ERR_ABORTED']);
    await assertRecovered(backend);
  });

  it('close() ends pending calls with SBX_ERR_ABORTED and reports down', async (t) => {
    const backend = await startBackend({}, t.after.bind(t));
    const changes: HealthChange[] = [];
    backend.onHealthChange((c) => changes.push(c));
    const running = backend.run(job('await new Promise(() => {})'), limits({ timeoutMs: 5000 }));
    const queued = backend.run(job('return 1'), limits());
    await backend.close();
    assertFailed(await running, ['SBX_ERR_ABORTED']);
    assertFailed(await queued, ['SBX_ERR_ABORTED']);
    assertFailed(await backend.run(job('return 1'), limits()), ['SBX_ERR_ABORTED']);
    assert.equal(backend.health().state, 'down');
    assert.deepEqual(changes.map((c) => c.to), ['down']);
  });

  it('answers SBX_ERR_UNAVAILABLE before start()', async () => {
    const { createIsolateBackend } = await import('../../sandbox/isolate/backend.ts');
    const backend = createIsolateBackend();
    assertFailed(await backend.run(job('return 1'), limits()), ['SBX_ERR_UNAVAILABLE']);
    await backend.close();
  });

  it('retires isolates after maxCallsPerIsolate and keeps serving', async (t) => {
    const backend = await startBackend({ maxCallsPerIsolate: 1, poolSize: 1 }, t.after.bind(t));
    for (let i = 0; i < 5; i++) {
      const r = await backend.run(job('return args.i', { i }), limits({ timeoutMs: 5000 }));
      assert.deepEqual(r.ok ? r.value : r, i);
    }
  });
});
