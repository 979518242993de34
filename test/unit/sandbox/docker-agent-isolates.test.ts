/**
 * Issue 15, untrusted jobs in the Docker worker: the run message's principal is parsed as
 * hostile input, and the worker's isolate choice (sandbox/docker/worker/agent-isolates.ts, real
 * isolated-vm here, the same code the container runs) never gives one agent's isolate to another
 * agent, gives every job a fresh context, and disposes an isolate after a failure, after
 * maxJobs, above its heap threshold or without a principal.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import ivm from 'isolated-vm';
import { AgentIsolates, DEFAULT_REUSE_RULES, reuseVerdict } from '../../../sandbox/docker/worker/agent-isolates.ts';
import { isPrincipal, parseSupervisorMessage } from '../../../sandbox/ipc/messages.ts';
import { runInIsolate } from '../../../sandbox/isolate/run-in-isolate.ts';

const RUN = { t: 'run', id: 'j1', handler: 'return 1;', args: null, timeoutMs: 1000, memoryMb: 16, maxOutputBytes: 100 };

test('the principal in a run message: carried when valid, the whole message refused when present but malformed', () => {
  assert.deepEqual(parseSupervisorMessage({ ...RUN, principal: 'agent-a' }), { ...RUN, principal: 'agent-a' });
  assert.deepEqual(parseSupervisorMessage(RUN), RUN, 'absent stays absent');
  for (const bad of ['', ' ', 'a b', 'a\nb', 'a\u0000', 'é', 'x'.repeat(129), 7, null, {}, ['a'], true]) {
    assert.equal(isPrincipal(bad), false, JSON.stringify(bad));
    assert.equal(parseSupervisorMessage({ ...RUN, principal: bad }), undefined, JSON.stringify(bad));
  }
  assert.equal(isPrincipal('x'.repeat(128)), true);
  assert.equal(isPrincipal('agt_0.a-b:c@d'), true);
});

test('reuseVerdict: only a successful job of a principal, under maxJobs and the heap threshold, keeps its isolate', () => {
  const rules = { maxJobs: 3, maxHeapBytes: 1000, maxKept: 2 };
  const use = { principal: 'a', jobs: 1, disposed: false, heapBytes: 10 };
  assert.deepEqual(reuseVerdict(use, { ok: true }, rules), { reuse: true });
  assert.equal(reuseVerdict({ ...use, principal: undefined }, { ok: true }, rules).reuse, false);
  assert.equal(reuseVerdict(use, { ok: false, code: 'TOOL_ERR_THROWN' }, rules).reuse, false);
  assert.equal(reuseVerdict(use, { ok: false, code: 'SBX_ERR_TIMEOUT' }, rules).reuse, false);
  assert.equal(reuseVerdict({ ...use, jobs: 3 }, { ok: true }, rules).reuse, false);
  assert.equal(reuseVerdict({ ...use, jobs: 2 }, { ok: true }, rules).reuse, true);
  assert.equal(reuseVerdict({ ...use, heapBytes: 1001 }, { ok: true }, rules).reuse, false);
  assert.equal(reuseVerdict({ ...use, heapBytes: 1000 }, { ok: true }, rules).reuse, true);
  assert.equal(reuseVerdict({ ...use, disposed: true }, { ok: true }, rules).reuse, false);
});

async function job(pool: AgentIsolates, principal: string | undefined, handler: string): Promise<{ isolate: ivm.Isolate; value: unknown }> {
  const entry = pool.acquire(principal, 16);
  const outcome = await runInIsolate(entry.isolate, { handler, argsJson: 'null', timeoutMs: 1000, maxOutputBytes: 10_000, cpuBudgetMs: 1000 }, pool.takeContext(entry));
  pool.release(entry, outcome);
  return { isolate: entry.isolate, value: outcome.ok ? outcome.value : outcome.code };
}

test('AgentIsolates: an agent gets its own isolate back with a fresh context; another agent never gets it', async () => {
  const pool = new AgentIsolates(ivm, () => assert.fail('catastrophic'));
  try {
    pool.prepareSpare(16);
    const plant = 'globalThis.x = 1; Object.prototype.p = 1; Symbol.for("s").description; return typeof globalThis.y;';
    const a1 = await job(pool, 'agent-a', plant);
    const a2 = await job(pool, 'agent-a', 'return [typeof globalThis.x, ({}).p === undefined];');
    assert.equal(a2.isolate, a1.isolate, 'the same agent reuses its isolate');
    assert.deepEqual(a2.value, ['undefined', true], 'in a fresh context');
    const b1 = await job(pool, 'agent-b', 'return [typeof globalThis.x, ({}).p === undefined];');
    assert.notEqual(b1.isolate, a1.isolate, 'another agent never gets agent-a\'s isolate');
    assert.deepEqual(b1.value, ['undefined', true]);
    const a3 = await job(pool, 'agent-a', 'return 3;');
    assert.equal(a3.isolate, a1.isolate);
    const b2 = await job(pool, 'agent-b', 'return 4;');
    assert.equal(b2.isolate, b1.isolate);
    assert.notEqual(b2.isolate, a3.isolate);
    // no principal: an isolate of its own, disposed after the job
    const anon = await job(pool, undefined, 'return 5;');
    assert.ok(anon.isolate !== a1.isolate && anon.isolate !== b1.isolate);
    assert.equal(anon.isolate.isDisposed, true);
  } finally {
    pool.close();
  }
});

test('AgentIsolates: a failed job, maxJobs, a heap left above the threshold and more than maxKept agents dispose the isolate', async () => {
  const pool = new AgentIsolates(ivm, () => assert.fail('catastrophic'), { maxJobs: 2, maxHeapBytes: DEFAULT_REUSE_RULES.maxHeapBytes, maxKept: 2 });
  try {
    const threw = await job(pool, 'a', 'throw new Error("x");');
    assert.equal(threw.value, 'TOOL_ERR_THROWN');
    assert.equal(threw.isolate.isDisposed, true, 'a failed job disposes its isolate');
    const first = await job(pool, 'a', 'return 1;');
    const second = await job(pool, 'a', 'return 2;');
    assert.equal(second.isolate, first.isolate);
    assert.equal(second.isolate.isDisposed, true, 'maxJobs 2: disposed after the second job');
    const big = await job(pool, 'a', 'globalThis.hold = new Uint8Array(8 * 1024 * 1024).fill(1); return hold.length;');
    assert.equal(big.value, 8 * 1024 * 1024);
    assert.equal(big.isolate.isDisposed, true, 'a heap above the threshold is returned at once');
    const kept = [await job(pool, 'p1', 'return 1;'), await job(pool, 'p2', 'return 1;'), await job(pool, 'p3', 'return 1;')];
    assert.equal(pool.keptCount, 2);
    assert.equal(kept[0]!.isolate.isDisposed, true, 'least recently used agent dropped');
    assert.equal(kept[2]!.isolate.isDisposed, false);
  } finally {
    pool.close();
  }
});

test('AgentIsolates: two jobs of one agent at once run in two isolates; only one is kept afterwards', async () => {
  const pool = new AgentIsolates(ivm, () => assert.fail('catastrophic'));
  try {
    const e1 = pool.acquire('a', 16);
    const e2 = pool.acquire('a', 16);
    assert.notEqual(e1.isolate, e2.isolate);
    pool.release(e1, { ok: true });
    const verdict = pool.release(e2, { ok: true });
    assert.equal(verdict.reuse, false);
    assert.equal(e2.isolate.isDisposed, true);
    assert.equal(pool.acquire('a', 16).isolate, e1.isolate);
  } finally {
    pool.close();
  }
});
