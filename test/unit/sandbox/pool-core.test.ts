/**
 * The shared pool core's decisions with in-process workers (the hooks are the only seam; the
 * real backends are covered by test/integration/isolate-* and docker-*): degraded serves,
 * restarts queue instead of refusing, down refuses, saturation queues then refuses past the
 * bound, one principal cannot take the spare, abortAll ends running and queued jobs, a withdrawn
 * (caller gone) job leaves the queue unrun.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createPoolCore, type JobOutcome, type PoolHooks, type PoolOptions } from '../../../sandbox/pool-core.ts';
import type { WorkerJob, WorkerResult } from '../../../sandbox/worker-backend.ts';

interface Fake { id: number; died: (why: string) => void; stopped: boolean }

/** Workers whose job behaviour is named by the handler text: "ok", "hang", "crash". */
function fakeHooks(canStart: (n: number) => boolean = () => true): { hooks: PoolHooks<Fake>; starts: () => number; stops: string[] } {
  let n = 0;
  const stops: string[] = [];
  const hooks: PoolHooks<Fake> = {
    start: async (died) => {
      const me = (n += 1);
      await new Promise((r) => setImmediate(r));
      if (!canStart(me)) throw new Error(`start ${me} refused`);
      return { id: me, died, stopped: false };
    },
    run: (worker, job, _limits, stop) => new Promise<JobOutcome>((resolve) => {
      stop.addEventListener('abort', () => {
        worker.stopped = true;
        resolve({ ok: false, code: 'SBX_ERR_WORKER_CRASHED', message: 'stopped' });
      }, { once: true });
      if (job.handler === 'ok') setImmediate(() => resolve({ ok: true, value: worker.id }));
      if (job.handler === 'crash') {
        setImmediate(() => {
          worker.died('crashed');
          resolve({ ok: false, code: 'SBX_ERR_WORKER_CRASHED', message: 'crashed' });
        });
      }
    }),
    stop: async (worker, why) => {
      worker.stopped = true;
      stops.push(why);
    },
    replaceAfter: () => false,
  };
  return { hooks, starts: () => n, stops };
}

const LIMITS = { timeoutMs: 1000, memoryMb: 64, maxOutputBytes: 1024 };
const job = (handler: string, principal?: string): WorkerJob => ({ callId: `c-${handler}`, tool: 't', handler, args: null, ...(principal === undefined ? {} : { principal }) });
const base: PoolOptions = { name: 'isolate', size: 1, queueLimit: 8, maxStartFailures: 2, backoffInitialMs: 5, backoffMaxMs: 20 };
const code = (r: WorkerResult): string => (r.ok ? 'ok' : r.code);

async function until(check: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('pool core: degraded is not down', () => {
  test('degraded with one ready worker → the job is dispatched', async () => {
    const { hooks } = fakeHooks((n) => n === 1); // only the first worker ever starts
    const pool = createPoolCore({ ...base, size: 2 }, hooks);
    await pool.start();
    const health = pool.health();
    assert.equal(health.state, 'degraded');
    assert.deepEqual(health.state === 'degraded' ? health.workers : undefined, { ready: 1, total: 2 });
    assert.equal(code(await pool.run(job('ok'), LIMITS)), 'ok');
    await pool.close();
  });

  test('down (no worker can start) → SBX_ERR_UNAVAILABLE at once', async () => {
    const { hooks } = fakeHooks(() => false);
    const pool = createPoolCore({ ...base, size: 2 }, hooks);
    await pool.start();
    assert.equal(pool.health().state, 'down');
    assert.match(pool.health().detail ?? '', /no isolate worker could be started: start \d+ refused/);
    assert.equal(code(await pool.run(job('ok'), LIMITS)), 'SBX_ERR_UNAVAILABLE');
    await pool.close();
  });

  test('while the only worker restarts, a call waits in the queue and is served, not refused', async () => {
    const { hooks, starts } = fakeHooks();
    const pool = createPoolCore(base, hooks);
    await pool.start();
    assert.equal(code(await pool.run(job('crash'), LIMITS)), 'SBX_ERR_WORKER_CRASHED');
    assert.equal(pool.health().state, 'degraded', 'restarting: degraded, not down');
    const next = await pool.run(job('ok'), LIMITS);
    assert.deepEqual(next.ok ? next.value : next, 2, 'served by the replacement worker');
    assert.equal(starts(), 2);
    assert.equal(pool.health().state, 'healthy');
    await pool.close();
  });

  test('saturation: the queue takes jobs up to its limit, refuses past it at once, and a queued job is refused past the wait bound', async () => {
    const { hooks } = fakeHooks();
    const pool = createPoolCore({ ...base, queueLimit: 1, queueWaitMs: 150 }, hooks);
    await pool.start();
    const hanging = pool.run(job('hang'), LIMITS);
    const queued = pool.run(job('ok'), LIMITS);
    const began = Date.now();
    assert.equal(code(await pool.run(job('ok'), LIMITS)), 'SBX_ERR_SATURATED');
    assert.ok(Date.now() - began < 100, 'past the queue limit: refused without waiting');
    const q = await queued;
    assert.equal(code(q), 'SBX_ERR_SATURATED', 'a worker is ready but busy: saturated, not unavailable');
    assert.ok(q.durationMs >= 140, `waited the bound first (${q.durationMs} ms)`);
    assert.equal(pool.abortAll('SBX_ERR_ABORTED', 'test over'), 1);
    assert.equal(code(await hanging), 'SBX_ERR_ABORTED');
    await pool.close();
  });

  test('a queued job whose wait bound passes with no worker ready is SBX_ERR_UNAVAILABLE', async () => {
    let allow = true;
    const { hooks } = fakeHooks(() => allow);
    const pool = createPoolCore({ ...base, queueWaitMs: 100, maxStartFailures: 1000 }, hooks);
    await pool.start();
    allow = false;
    assert.equal(code(await pool.run(job('crash'), LIMITS)), 'SBX_ERR_WORKER_CRASHED');
    assert.equal(code(await pool.run(job('ok'), LIMITS)), 'SBX_ERR_UNAVAILABLE');
    await pool.close();
  });
});

describe('pool core: restarts cannot cascade', () => {
  test('a position that keeps failing backs off on its own while the others serve at full speed', async () => {
    const attempts: number[] = [];
    let n = 0;
    const { hooks } = fakeHooks();
    const start = hooks.start;
    const pool = createPoolCore({ ...base, size: 2, backoffInitialMs: 20, backoffMaxMs: 160, maxStartFailures: 100 }, {
      ...hooks,
      start: async (died) => {
        n += 1;
        if (n === 1) return start(died); // the first worker starts and stays
        attempts.push(Date.now());
        throw new Error('cannot start');
      },
    });
    void pool.start();
    await until(() => attempts.length >= 5, 5000);
    const gaps = attempts.slice(1).map((t, i) => t - attempts[i]!);
    assert.ok(gaps[0]! >= 15 && gaps[1]! >= 35 && gaps[2]! >= 75, `exponential backoff per position: ${gaps.join(', ')} ms`);
    assert.equal(pool.health().state, 'degraded');
    const began = Date.now();
    for (let i = 0; i < 20; i++) assert.equal(code(await pool.run(job('ok'), LIMITS)), 'ok');
    assert.ok(Date.now() - began < 500, 'the healthy position is not slowed by the failing one');
    await pool.close();
  });
});

describe('pool core: spare capacity and abort', () => {
  test('one principal cannot take the spare: its second job waits while another principal runs at once', async () => {
    const { hooks } = fakeHooks();
    const pool = createPoolCore({ ...base, size: 1, spare: 1 }, hooks);
    await pool.start();
    const a1 = pool.run(job('hang', 'agent-a'), LIMITS);
    let a2done = false;
    const a2 = pool.run(job('ok', 'agent-a'), LIMITS).then((r) => ((a2done = true), r));
    const b = await pool.run(job('ok', 'agent-b'), LIMITS);
    assert.equal(code(b), 'ok');
    assert.equal(a2done, false, "agent-a's second job waits for agent-a's own share");
    pool.abortAll('SBX_ERR_KILLED', 'kill switch');
    assert.equal(code(await a1), 'SBX_ERR_KILLED');
    assert.equal(code(await a2), 'SBX_ERR_KILLED');
    await pool.close();
  });

  test('abortAll ends running and queued jobs with the code and stops what runs them', async () => {
    const { hooks } = fakeHooks();
    const pool = createPoolCore({ ...base, size: 1 }, hooks);
    await pool.start();
    const running = pool.run(job('hang'), LIMITS);
    const queued = pool.run(job('ok'), LIMITS);
    assert.equal(pool.abortAll('SBX_ERR_KILLED', 'the kill switch was engaged'), 2);
    const [r, q] = await Promise.all([running, queued]);
    assert.deepEqual([code(r), code(q)], ['SBX_ERR_KILLED', 'SBX_ERR_KILLED']);
    assert.equal(r.ok ? '' : r.message, 'the kill switch was engaged');
    await until(() => pool.health().state === 'healthy');
    assert.equal(code(await pool.run(job('ok'), LIMITS)), 'ok', 'the pool serves afterwards');
    await pool.close();
  });

  test('withdraw: a queued job whose caller left ends unrun and frees its queue slot; a running one is left to finish', async () => {
    const { hooks, stops } = fakeHooks();
    const pool = createPoolCore({ ...base, size: 1, queueLimitPerPrincipal: 1 }, hooks);
    await pool.start();
    const runningGone = new AbortController();
    const running = pool.run(job('hang', 'a'), LIMITS, undefined, runningGone.signal);
    const queuedGone = new AbortController();
    const queued = pool.run(job('ok', 'a'), LIMITS, undefined, queuedGone.signal);
    assert.equal(code(await pool.run(job('ok', 'a'), LIMITS)), 'SBX_ERR_SATURATED', "a's one queue slot is taken");
    queuedGone.abort();
    const q = await queued;
    assert.equal(code(q), 'SBX_ERR_ABORTED');
    assert.match(q.ok ? '' : q.message, /not run/);
    let nextDone = false;
    const next = pool.run(job('ok', 'a'), LIMITS).then((r) => ((nextDone = true), r));
    runningGone.abort();
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(nextDone, false, 'the freed slot queues the next call behind the running job');
    assert.deepEqual(stops, [], 'withdrawing a running job does not stop its worker');
    assert.equal(pool.abortAll('SBX_ERR_KILLED', 'test over'), 2, 'the running job was still running');
    assert.equal(code(await running), 'SBX_ERR_KILLED');
    assert.equal(code(await next), 'SBX_ERR_KILLED');
    const gone = new AbortController();
    gone.abort();
    assert.equal(code(await pool.run(job('ok', 'a'), LIMITS, undefined, gone.signal)), 'SBX_ERR_ABORTED', 'already gone: not run');
    await pool.close();
  });

  test('close ends everything with SBX_ERR_ABORTED, stops every worker and reports down once', async () => {
    const { hooks, stops } = fakeHooks();
    const pool = createPoolCore({ ...base, size: 2 }, hooks);
    await pool.start();
    const seen: string[] = [];
    pool.onHealthChange((c) => seen.push(c.to));
    const running = pool.run(job('hang'), LIMITS);
    await pool.close();
    assert.equal(code(await running), 'SBX_ERR_ABORTED');
    assert.deepEqual(seen, ['down']);
    assert.equal(stops.length, 2);
    assert.equal(code(await pool.run(job('ok'), LIMITS)), 'SBX_ERR_ABORTED');
  });
});
