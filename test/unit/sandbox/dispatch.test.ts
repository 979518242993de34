/**
 * The dispatch decision (issue 22): degraded with a ready worker → dispatched; down → refused
 * (503 upstream); per-agent fault isolation: past the threshold one agent is refused with a
 * retry time while another agent is unaffected; each trip is reported once.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createDispatcher, usable, type DispatchOptions } from '../../../agent-gateway/tools/dispatch.ts';
import type { RegisteredTool } from '../../../agent-gateway/tools/registry.ts';
import type { Trip } from '../../../sandbox/fault-ledger.ts';
import type { BackendHealth, WorkerBackend, WorkerJob, WorkerResult } from '../../../sandbox/worker-backend.ts';

function backend(name: 'isolate' | 'docker', health: BackendHealth, result: (job: WorkerJob) => WorkerResult = () => ({ ok: true, value: 1, durationMs: 1 })) {
  const jobs: WorkerJob[] = [];
  const b: WorkerBackend = {
    name,
    start: async () => undefined,
    run: async (job) => {
      jobs.push(job);
      return result(job);
    },
    abortAll: () => 0,
    health: () => health,
    onHealthChange: () => () => undefined,
    close: async () => undefined,
  };
  return { b, jobs };
}

const tool = (pref: 'any' | 'prefer-docker' | 'docker' = 'any'): RegisteredTool => ({
  manifest: { name: 'js.eval', backend: pref, timeout_ms: 5000, memory_mb: 64, risk: 'high' },
  handler: 'return 1',
} as unknown as RegisteredTool);

const LIMITS = { callTimeoutMs: 5000, isolateMemoryMb: 64, outputBytes: 1024 };
const degraded: BackendHealth = { state: 'degraded', detail: '1/2 isolate workers ready', workers: { ready: 1, total: 2 } };
const down: BackendHealth = { state: 'down', detail: 'no isolate worker could be started' };

describe('dispatch decision', () => {
  test('usable: healthy and degraded take calls; down and disabled do not', () => {
    assert.deepEqual([{ state: 'healthy' }, degraded, down, { state: 'disabled', detail: '' }].map((h) => usable(h as BackendHealth)), [true, true, false, false]);
  });

  test('degraded with one ready worker → dispatched to it', async () => {
    const iso = backend('isolate', degraded);
    const d = createDispatcher({ mode: 'isolate', isolate: iso.b, docker: undefined, limits: LIMITS });
    const out = await d.run(tool(), {}, 'c1', { agentId: 'agent-1' });
    assert.equal(out.ok, true, JSON.stringify(out));
    assert.equal(iso.jobs.length, 1);
    assert.equal(iso.jobs[0]?.principal, 'agent-1', 'the job carries its principal');
  });

  test('a degraded docker still takes prefer-docker tools in auto mode (no silent fallback while it restarts)', async () => {
    const iso = backend('isolate', { state: 'healthy' });
    const dock = backend('docker', { state: 'degraded', detail: '2/3 docker workers ready' });
    const d = createDispatcher({ mode: 'auto', isolate: iso.b, docker: dock.b, limits: LIMITS });
    const out = await d.run(tool('prefer-docker'), {}, 'c1');
    assert.deepEqual(out.ok ? out.backend : out, 'docker');
  });

  test('down → SBX_ERR_UNAVAILABLE and nothing is sent', async () => {
    const iso = backend('isolate', down);
    const d = createDispatcher({ mode: 'isolate', isolate: iso.b, docker: undefined, limits: LIMITS });
    const out = await d.run(tool(), {}, 'c1');
    assert.deepEqual(out.ok ? out : out.code, 'SBX_ERR_UNAVAILABLE');
    assert.equal(iso.jobs.length, 0);
  });

  test('readiness: degraded reports healthy:true with state and counts; down reports healthy:false', () => {
    const iso = backend('isolate', degraded);
    const r = createDispatcher({ mode: 'isolate', isolate: iso.b, docker: undefined, limits: LIMITS }).readiness();
    assert.equal(r.status, 'ok');
    assert.deepEqual(r.backends.isolate, { healthy: true, state: 'degraded', ready: 1, total: 2, detail: '1/2 isolate workers ready' });
    const gone = createDispatcher({ mode: 'isolate', isolate: backend('isolate', down).b, docker: undefined, limits: LIMITS }).readiness();
    assert.equal(gone.status, 'degraded');
    assert.equal(gone.backends.isolate !== 'disabled' && gone.backends.isolate.healthy, false);
  });
});

describe('per-agent fault isolation', () => {
  const timeout: WorkerResult = { ok: false, code: 'SBX_ERR_TIMEOUT', message: 'time limit', durationMs: 5 };

  test('past the threshold the faulting agent is refused with a retry time; another agent is unaffected; one trip reported', async () => {
    let now = 1_000_000;
    const trips: Trip[] = [];
    const iso = backend('isolate', { state: 'healthy' }, (job) => (job.principal === 'crasher' ? timeout : { ok: true, value: 1, durationMs: 1 }));
    const opts: DispatchOptions = {
      mode: 'isolate', isolate: iso.b, docker: undefined, limits: LIMITS, now: () => now,
      faults: { threshold: 3, windowMs: 60_000, cooldownMs: 30_000 }, onTrip: (t) => void trips.push(t),
    };
    const d = createDispatcher(opts);
    for (let i = 0; i < 3; i++) {
      const out = await d.run(tool(), {}, `c${i}`, { agentId: 'crasher' });
      assert.equal(out.ok && !out.result.ok && out.result.code, 'SBX_ERR_TIMEOUT');
    }
    assert.deepEqual(trips.map((t) => [t.principal, t.faults, t.code]), [['crasher', 3, 'SBX_ERR_TIMEOUT']]);
    const refused = await d.run(tool(), {}, 'c4', { agentId: 'crasher' });
    assert.ok(!refused.ok && refused.code === 'SBX_ERR_PRINCIPAL_THROTTLED', JSON.stringify(refused));
    assert.equal(!refused.ok && 'retryAfterSeconds' in refused ? refused.retryAfterSeconds : 0, 30);
    assert.equal(iso.jobs.filter((j) => j.principal === 'crasher').length, 3, 'a refused job never reaches a worker');
    const other = await d.run(tool(), {}, 'c5', { agentId: 'polite' });
    assert.ok(other.ok && other.result.ok, 'another agent is unaffected');
    now += 30_001;
    const back = await d.run(tool(), {}, 'c6', { agentId: 'crasher' });
    assert.equal(back.ok, true, 'after the cooldown the agent may call again');
  });

  test('ordinary tool errors (a throw, bad output) are not charged', async () => {
    const trips: Trip[] = [];
    const iso = backend('isolate', { state: 'healthy' }, () => ({ ok: false, code: 'TOOL_ERR_THROWN', message: 'x', durationMs: 1 }));
    const d = createDispatcher({ mode: 'isolate', isolate: iso.b, docker: undefined, limits: LIMITS, faults: { threshold: 1, windowMs: 60_000, cooldownMs: 60_000 }, onTrip: (t) => void trips.push(t) });
    for (let i = 0; i < 5; i++) assert.equal((await d.run(tool(), {}, `c${i}`, { agentId: 'a' })).ok, true);
    assert.deepEqual(trips, []);
  });
});
