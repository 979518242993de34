/**
 * The Docker backend's pool behaviour against a real engine: health, warm reuse, recycling,
 * saturation, abort, fresh containers, crash replacement, stale cleanup and close().
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import Docker from 'dockerode';
import { createDockerBackend } from '../../sandbox/docker/backend.ts';
import { SUPERVISOR_PID_LABEL, WORKER_LABEL } from '../../sandbox/docker/container-config.ts';
import { ensureWorkerImage } from '../../sandbox/docker/image.ts';
import type { HealthChange, WorkerBackend, WorkerResult } from '../../sandbox/worker-backend.ts';
import { CONTAINER_ID_HANDLER, dockerSkipReason, leftoverContainers } from '../support/docker-env.ts';

const skip = await dockerSkipReason();
const LIMITS = { timeoutMs: 20_000, memoryMb: 64, maxOutputBytes: 256 * 1024 };
const CONTAINER_ID = CONTAINER_ID_HANDLER;
let seq = 0;

function call(backend: WorkerBackend, handler: string, extra: { fresh?: boolean; args?: unknown } = {}, signal?: AbortSignal): Promise<WorkerResult> {
  seq += 1;
  const job = { callId: `it-${seq}`, tool: 'test', handler, args: (extra.args ?? null) as null, ...(extra.fresh === true ? { fresh: true } : {}) };
  return backend.run(job, LIMITS, signal);
}
/** Bounded polling until every pool position holds a ready worker (run() then dispatches synchronously). */
async function allReady(backend: WorkerBackend, deadlineMs = 60_000): Promise<void> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const h = backend.health();
    if (h.state === 'healthy' && (h.workers === undefined || h.workers.ready === h.workers.total)) return;
    assert.ok(Date.now() < until, `pool not ready within ${deadlineMs} ms: ${JSON.stringify(h)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
/** Ids of the containers this process created between two Unix times (seconds), from the daemon's event log. */
async function containersCreated(docker: Docker, since: number, until: number): Promise<string[]> {
  const stream = await docker.getEvents({ since, until, filters: { type: ['container'], event: ['create'], label: [`${SUPERVISOR_PID_LABEL}=${process.pid}`] } });
  let text = '';
  for await (const chunk of stream as AsyncIterable<Buffer | string>) text += String(chunk);
  return text.split('\n').filter((l) => l.trim() !== '').map((l) => String((JSON.parse(l) as { id?: unknown }).id));
}
const ok = (r: WorkerResult): unknown => {
  assert.equal(r.ok, true, JSON.stringify(r));
  return r.ok ? r.value : undefined;
};

describe('docker backend without a daemon', () => {
  test('reports disabled and refuses jobs with SBX_ERR_UNAVAILABLE when not enabled', async () => {
    const backend = createDockerBackend({ enabled: false });
    await backend.start();
    assert.equal(backend.health().state, 'disabled');
    const r = await call(backend, 'return 1;');
    assert.ok(!r.ok && r.code === 'SBX_ERR_UNAVAILABLE');
    await backend.close();
    assert.equal(backend.health().state, 'disabled');
  });

  test('reports down with a clear detail when the daemon socket is unreachable', async () => {
    const backend = createDockerBackend({ enabled: true, docker: new Docker({ socketPath: '/nonexistent/palisade-docker.sock' }) });
    const changes: HealthChange[] = [];
    backend.onHealthChange((c) => changes.push(c));
    await backend.start();
    const health = backend.health();
    assert.equal(health.state, 'down');
    assert.match(health.detail ?? '', /^Docker daemon unreachable: .*ENOENT/);
    assert.deepEqual(changes.map((c) => [c.backend, c.from, c.to]), [['docker', 'degraded', 'down']]);
    const r = await call(backend, 'return 1;');
    assert.ok(!r.ok && r.code === 'SBX_ERR_UNAVAILABLE');
    await backend.close();
  });
});

describe('docker backend pool', { skip, timeout: 600_000 }, () => {
  const docker = new Docker();
  let backend: WorkerBackend;
  const changes: HealthChange[] = [];

  before(async () => {
    // runc: CONTAINER_ID reads the id from inside, which gVisor hides (the matrix files cover runsc)
    backend = createDockerBackend({ enabled: true, layer: 'process', poolSize: 1, maxQueue: 1, maxJobsPerContainer: 3, runtime: 'runc' });
    backend.onHealthChange((c) => changes.push(c));
    await backend.start();
  });
  after(async () => {
    await backend?.close();
  });

  test('becomes healthy after start and reports the transition', () => {
    assert.equal(backend.health().state, 'healthy');
    assert.deepEqual(changes.map((c) => [c.from, c.to]), [['degraded', 'healthy']]);
  });

  test('runs a handler with its args and returns the JSON result with a duration', async () => {
    const r = await call(backend, 'return { echo: args.text, n: args.n * 2 };', { args: { text: 'hi', n: 21 } });
    assert.deepEqual(ok(r), { echo: 'hi', n: 42 });
    assert.ok(r.durationMs >= 0);
  });

  test('reuses a warm container, then replaces it after maxJobsPerContainer jobs', async () => {
    // a fresh container for this test: the earlier test used one of its three jobs
    const ids: unknown[] = [];
    for (let i = 0; i < 6; i++) ids.push(ok(await call(backend, CONTAINER_ID)));
    const distinct = new Set(ids);
    assert.ok(distinct.size >= 2 && distinct.size <= 3, JSON.stringify(ids));
    for (const id of distinct) assert.ok(ids.filter((x) => x === id).length <= 3);
  });

  test('refuses with SBX_ERR_SATURATED when the container is busy and the queue is full', async () => {
    await allReady(backend);
    // same tick: the slow job is handed to the ready container synchronously, the next one
    // takes the only queue slot, the third finds both full
    const slow = call(backend, 'await new Promise((r) => setTimeout(r, 1500)); return "slow";');
    const queued = call(backend, 'return "queued";');
    const refused = await call(backend, 'return "refused";');
    assert.ok(!refused.ok && refused.code === 'SBX_ERR_SATURATED', JSON.stringify(refused));
    assert.equal(ok(await slow), 'slow');
    assert.equal(ok(await queued), 'queued');
  });

  test('an aborted call ends with SBX_ERR_ABORTED and the pool recovers', async () => {
    const controller = new AbortController();
    const running = call(backend, 'await new Promise((r) => setTimeout(r, 10000)); return 1;', {}, controller.signal);
    setTimeout(() => controller.abort(), 300);
    const r = await running;
    assert.ok(!r.ok && r.code === 'SBX_ERR_ABORTED', JSON.stringify(r));
    assert.equal(ok(await call(backend, 'return 2;')), 2);
  });

  test('a worker that exits mid-call ends with SBX_ERR_WORKER_CRASHED and is replaced', async () => {
    const crashed = await call(backend, 'process.exit(7);');
    assert.ok(!crashed.ok && crashed.code === 'SBX_ERR_WORKER_CRASHED', JSON.stringify(crashed));
    assert.equal(ok(await call(backend, 'return "alive";')), 'alive');
    assert.equal(backend.health().state, 'healthy');
  });

  test('abortAll (kill switch) ends a running job with SBX_ERR_KILLED at once, and the pool recovers', async () => {
    assert.equal(ok(await call(backend, 'return "warm";')), 'warm');
    const began = Date.now();
    const running = call(backend, 'await new Promise((r) => setTimeout(r, 10000)); return "finished";');
    // run() hands the job to the free warm container synchronously: it is running now
    assert.equal(backend.abortAll('SBX_ERR_KILLED', 'kill switch engaged'), 1);
    const r = await running;
    assert.ok(!r.ok && r.code === 'SBX_ERR_KILLED', JSON.stringify(r));
    assert.ok(Date.now() - began < 5000);
    assert.equal(ok(await call(backend, 'return "after";')), 'after');
  });

  test('a fresh call runs in its own container, which is removed afterwards', async () => {
    const poolId = ok(await call(backend, CONTAINER_ID));
    const freshId = ok(await call(backend, CONTAINER_ID, { fresh: true }));
    assert.equal(typeof freshId, 'string');
    assert.notEqual(freshId, poolId);
    await assert.rejects(docker.getContainer(String(freshId)).inspect(), /no such container/i);
  });

  test('a fresh call whose caller has already gone creates no container and ends SBX_ERR_ABORTED', async () => {
    await allReady(backend); // the pool creates nothing while the window below is open
    const since = Date.now() / 1000;
    seq += 1;
    const gone = await backend.run({ callId: `it-${seq}`, tool: 'test', handler: CONTAINER_ID, args: null, fresh: true }, LIMITS, undefined, AbortSignal.abort());
    assert.ok(!gone.ok && gone.code === 'SBX_ERR_ABORTED', JSON.stringify(gone));
    // the control: the same fresh call with its caller still there creates the window's one container
    const controlId = ok(await call(backend, CONTAINER_ID, { fresh: true }));
    const created = await containersCreated(docker, since, Date.now() / 1000);
    assert.deepEqual(created, [controlId]);
  });
});

describe('docker backend lifecycle', { skip, timeout: 600_000 }, () => {
  const docker = new Docker();

  test('removes stale worker containers left by a dead supervisor at start', async () => {
    const image = await ensureWorkerImage(docker);
    assert.ok(image.ok);
    const deadPid = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    const stale = await docker.createContainer({ Image: image.tag, Labels: { [WORKER_LABEL]: '1', [SUPERVISOR_PID_LABEL]: deadPid }, HostConfig: { NetworkMode: 'none' } });
    const backend = createDockerBackend({ enabled: true, layer: 'process', poolSize: 1 });
    await backend.start();
    await assert.rejects(stale.inspect(), /no such container/i);
    await backend.close();
  });

  test('close() ends queued calls with SBX_ERR_ABORTED and removes every container it started', async () => {
    const backend = createDockerBackend({ enabled: true, layer: 'process', poolSize: 2, maxQueue: 4 });
    await backend.start();
    assert.equal((await leftoverContainers()).length, 2);
    await allReady(backend);
    // two run in the two ready containers (handed over synchronously), the third is queued
    const calls = [1, 2, 3].map(() => call(backend, 'await new Promise((r) => setTimeout(r, 30000)); return 0;'));
    await backend.close();
    const results = await Promise.all(calls);
    for (const r of results) assert.ok(!r.ok && r.code === 'SBX_ERR_ABORTED', JSON.stringify(r));
    assert.deepEqual(await leftoverContainers(), []);
    assert.equal(backend.health().state, 'down');
  });
});
