/**
 * Issue 15: the Docker backend's two layers. Containers (hardened as in docker-hostile) are
 * reused for many jobs; every job runs in a fresh isolated-vm isolate inside the container.
 * - the inner layer: a job sees no Node API at all (no process, require, fetch, timers);
 * - cross-job isolation inside ONE reused container (same container id before and after):
 *   globals, patched builtins, pending promises, memory and /tmp files of a previous job, also
 *   of another agent, never reach the next job;
 * - recycling: a job that times out or runs out of memory gets its error, its container is
 *   replaced and the next job succeeds; the N-jobs, T-seconds and heap rules fire.
 * Skips without a local daemon, fails without one when CI=true.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import Docker from 'dockerode';
import { readToolDir, BUILTIN_ACTIONS_DIR } from '../../sandbox/actions/load.ts';
import { createDockerBackend, type DockerBackendOptions } from '../../sandbox/docker/backend.ts';
import { SUPERVISOR_PID_LABEL } from '../../sandbox/docker/container-config.ts';
import { NODE_PATH_IN_IMAGE } from '../../sandbox/docker/image.ts';
import { parseDockerQuotas } from '../../sandbox/docker/quotas.ts';
import type { JsonValue } from '../../sandbox/json.ts';
import type { WorkerBackend, WorkerResult } from '../../sandbox/worker-backend.ts';
import { dockerSkipReason, leftoverContainers } from '../support/docker-env.ts';
import { DOCKER_TEST_RUNTIMES, isGvisor } from '../support/docker-runtimes.ts';

const skip = await dockerSkipReason();
const LIMITS = { timeoutMs: 10_000, memoryMb: 64, maxOutputBytes: 256 * 1024 };
const docker = new Docker();
let seq = 0;

function call(backend: WorkerBackend, handler: string, options: { args?: JsonValue; principal?: string; timeoutMs?: number; memoryMb?: number } = {}): Promise<WorkerResult> {
  seq += 1;
  return backend.run(
    { callId: `two-layer-${seq}`, tool: 'js.eval', handler, args: options.args ?? null, ...(options.principal === undefined ? {} : { principal: options.principal }) },
    { ...LIMITS, ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }), ...(options.memoryMb === undefined ? {} : { memoryMb: options.memoryMb }) },
  );
}

function value(result: WorkerResult): JsonValue {
  assert.equal(result.ok, true, JSON.stringify(result));
  return result.ok ? result.value : null;
}

/** ids of the running worker containers this process started */
async function running(): Promise<string[]> {
  const list = await docker.listContainers({ filters: { label: [`${SUPERVISOR_PID_LABEL}=${process.pid}`], status: ['running'] } });
  return list.map((c) => c.Id).sort();
}

/** polls until exactly one container runs and returns its id */
async function theContainer(): Promise<string> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const ids = await running();
    if (ids.length === 1) return ids[0]!;
    if (Date.now() > deadline) throw new Error(`expected one running container, found ${ids.length}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** polls until `n` containers run (and `also` holds for their ids) and returns the ids */
async function runningCount(n: number, also: (ids: string[]) => boolean = () => true): Promise<string[]> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const ids = await running();
    if (ids.length === n && also(ids)) return ids;
    if (Date.now() > deadline) throw new Error(`expected ${n} running containers, found ${JSON.stringify(ids)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** polls until the single running container is another one than `old` */
async function replacedBy(old: string): Promise<string> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const ids = await running();
    if (ids.length === 1 && ids[0] !== old) return ids[0]!;
    if (Date.now() > deadline) throw new Error(`container ${old.slice(0, 12)} was not replaced: ${JSON.stringify(ids)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** runs node inside the container as its user (what an isolate escape would be able to do) */
function execInContainer(id: string, script: string): string {
  return execFileSync('docker', ['exec', id, NODE_PATH_IN_IMAGE, '-e', script], { encoding: 'utf8', timeout: 60_000 });
}

async function withBackend(options: Partial<DockerBackendOptions>, body: (backend: WorkerBackend) => Promise<void>): Promise<void> {
  // no standby unless a test asks (theContainer() counts the running containers)
  const backend = createDockerBackend({ enabled: true, poolSize: 1, jobsPerContainer: 1, standby: 0, ...options });
  try {
    await backend.start();
    assert.equal(backend.health().state, 'healthy', JSON.stringify(backend.health()));
    await body(backend);
  } finally {
    await backend.close();
  }
}

describe('docker two layers: the inner layer and cross-job isolation in one reused container', { skip, timeout: 600_000 }, () => {
  let backend: WorkerBackend;
  before(async () => {
    backend = createDockerBackend({ enabled: true, poolSize: 1, jobsPerContainer: 1, standby: 0 });
    await backend.start();
    assert.equal(backend.health().state, 'healthy', JSON.stringify(backend.health()));
  });
  after(async () => {
    await backend?.close();
    assert.deepEqual(await leftoverContainers(), []);
  });

  test('a job sees no Node API: process, require, fetch, timers, Buffer and WebAssembly are absent', async () => {
    const seen = value(await call(backend, `return ['process', 'require', 'module', 'fetch', 'setTimeout', 'setInterval', 'queueMicrotask', 'Buffer', 'WebAssembly', 'SharedArrayBuffer']
      .filter((name) => typeof globalThis[name] !== 'undefined');`));
    assert.deepEqual(seen, []);
    const jsEval = readToolDir(BUILTIN_ACTIONS_DIR).find((t) => (t.manifest as { name?: unknown }).name === 'js.eval');
    assert.ok(jsEval !== undefined);
    const reach = await call(backend, jsEval.handler, { args: { code: `return process.getBuiltinModule('node:child_process').execSync('id').toString();` } });
    assert.ok(!reach.ok && reach.code === 'TOOL_ERR_THROWN' && /process is not defined/.test(reach.message), JSON.stringify(reach));
    assert.deepEqual(value(await call(backend, jsEval.handler, { args: { code: 'return input.map((x) => x * 2);', input: [1, 2, 3] } })), [2, 4, 6]);
  });

  for (const [title, second] of [['the same agent', 'agent-a'], ['another agent', 'agent-b']] as const) {
    test(`globals, patched builtins, pending promises and memory of a job never reach the next job of ${title} (same container)`, async () => {
      const container = await theContainer();
      const planted = value(await call(backend, `
        globalThis.stolen = 'secret of agent-a'; Object.prototype.polluted = 1;
        const parse = JSON.parse; JSON.parse = (t) => { globalThis.stolen += t; return parse(t); };
        Array.prototype.map = function () { return ['patched']; };
        globalThis.keep = 'x'.repeat(8 * 1024 * 1024) + Math.random();
        new Promise(() => {}); Promise.resolve().then(() => { globalThis.late = 'late'; });
        return 'planted';`, { principal: 'agent-a' }));
      assert.equal(planted, 'planted');
      for (let i = 0; i < 3; i++) {
        const seen = value(await call(backend, `return {
          stolen: typeof globalThis.stolen, polluted: ({}).polluted === undefined, late: typeof globalThis.late, keep: typeof globalThis.keep,
          mapped: [1, 2].map((x) => x + 1), parse: JSON.parse('{"a":1}').a, patched: String(JSON.parse).includes('stolen') };`, { principal: second }));
        assert.deepEqual(seen, { stolen: 'undefined', polluted: true, late: 'undefined', keep: 'undefined', mapped: [2, 3], parse: 1, patched: false });
      }
      assert.equal(await theContainer(), container, 'all of it ran in one reused container');
    });
  }

  test('memory a job holds is released with its isolate: six jobs each holding 10 MiB run in one 64 MiB container', async () => {
    const container = await theContainer();
    for (let i = 0; i < 6; i++) {
      const held = value(await call(backend, `globalThis.hold = new Uint8Array(10 * 1024 * 1024).fill(${i + 1}); return globalThis.hold.length;`, { principal: i % 2 === 0 ? 'agent-a' : 'agent-b' }));
      assert.equal(held, 10 * 1024 * 1024);
    }
    assert.equal(await theContainer(), container);
  });
});

for (const runtime of DOCKER_TEST_RUNTIMES) describe(`[${runtime}] docker two layers: /tmp between jobs`, { skip, timeout: 300_000 }, () => {
  test(isGvisor(runtime)
    ? 'under gVisor /tmp is read-only: a process in the container (as by an isolate escape) cannot leave a file there (EROFS)'
    : '/tmp is empty for every job: a file left there (as by an isolate escape) is gone before the next job, of another agent', async () => {
    // 256 MiB: the second node process that plays the escaped job needs room beside the worker
    const quotas = parseDockerQuotas({ memory: '256m' });
    assert.ok(quotas.ok);
    await withBackend({ quotas, runtime }, async (backend) => {
      const container = await theContainer();
      if (isGvisor(runtime)) {
        // container-config.ts tmpfsOptions: this gVisor would map a dropped library PROT_EXEC
        assert.equal(execInContainer(container, `try { require('fs').writeFileSync('/tmp/left-by-agent-a', 'secret'); process.stdout.write('wrote'); } catch (e) { process.stdout.write(e.code); }`), 'EROFS');
        assert.equal(value(await call(backend, 'return 1;', { principal: 'agent-b' })), 1);
        assert.equal(execInContainer(container, `process.stdout.write(JSON.stringify(require('fs').readdirSync('/tmp')))`), '[]');
        return;
      }
      execInContainer(container, `require('fs').writeFileSync('/tmp/left-by-agent-a', 'secret'); require('fs').mkdirSync('/tmp/dir'); require('fs').writeFileSync('/tmp/dir/f', 'x')`);
      assert.match(execInContainer(container, `process.stdout.write(JSON.stringify(require('fs').readdirSync('/tmp')))`), /left-by-agent-a/);
      assert.equal(value(await call(backend, 'return 1;', { principal: 'agent-b' })), 1);
      assert.equal(execInContainer(container, `process.stdout.write(JSON.stringify(require('fs').readdirSync('/tmp')))`), '[]');
      assert.equal(await theContainer(), container);
    });
  });
});

describe('docker two layers: recycling', { skip, timeout: 600_000 }, () => {
  after(async () => {
    assert.deepEqual(await leftoverContainers(), []);
  });

  test('a job that exceeds its time limit ends SBX_ERR_TIMEOUT (from inside, not by killing the container), the container is replaced, the next job succeeds', async () => {
    await withBackend({}, async (backend) => {
      const container = await theContainer();
      const began = Date.now();
      const looped = await call(backend, 'while (true) {}', { timeoutMs: 1_000 });
      assert.ok(!looped.ok && looped.code === 'SBX_ERR_TIMEOUT', JSON.stringify(looped));
      assert.ok(Date.now() - began < 1_000 + 900, `answered by the isolate's own limit (${Date.now() - began} ms)`);
      await replacedBy(container);
      assert.equal(value(await call(backend, 'return "next";')), 'next');
    });
  });

  test('a job that exceeds its memory limit ends SBX_ERR_MEMORY_LIMIT, the container is replaced, the next job succeeds', async () => {
    await withBackend({}, async (backend) => {
      const container = await theContainer();
      const balloon = await call(backend, 'const a = []; for (;;) a.push(new Array(1e5).fill(Math.random()));', { memoryMb: 16 });
      assert.ok(!balloon.ok && balloon.code === 'SBX_ERR_MEMORY_LIMIT', JSON.stringify(balloon));
      await replacedBy(container);
      assert.equal(value(await call(backend, 'return "next";')), 'next');
    });
  });

  test('the N-jobs rule: with maxJobsPerContainer 3 the fourth job runs in a new container', async () => {
    await withBackend({ maxJobsPerContainer: 3 }, async (backend) => {
      const first = await theContainer();
      for (let i = 0; i < 3; i++) assert.equal(value(await call(backend, `return ${i};`)), i);
      const second = await replacedBy(first);
      assert.equal(value(await call(backend, 'return 3;')), 3);
      assert.equal(await theContainer(), second);
    });
  });

  test('with a standby (the default): after an N-jobs retirement the next job succeeds, the retired container is gone, one standby runs beside the pool container (the hand-over itself: test/unit/sandbox/docker-standby.test.ts), close removes both', async () => {
    await withBackend({ maxJobsPerContainer: 2, standby: 1 }, async (backend) => {
      const before = await runningCount(2); // the pool's container and the standby
      for (let i = 0; i < 2; i++) assert.equal(value(await call(backend, `return ${i};`)), i);
      assert.equal(value(await call(backend, 'return 2;')), 2, 'the job after the retirement succeeds');
      const after = await runningCount(2, (ids) => ids.filter((id) => !before.includes(id)).length === 1);
      // one of the two before is gone (the retired one), the other (the standby) still runs and a new standby joined it
      assert.equal(after.filter((id) => before.includes(id)).length, 1, JSON.stringify({ before, after }));
    });
    assert.deepEqual(await leftoverContainers(), []);
  });

  test('the T-seconds rule: an idle container older than maxContainerAgeMs is replaced', async () => {
    await withBackend({ maxContainerAgeMs: 1_500, healthIntervalMs: 250 }, async (backend) => {
      const first = await theContainer();
      assert.equal(value(await call(backend, 'return 1;')), 1);
      await replacedBy(first);
      assert.equal(value(await call(backend, 'return 2;')), 2);
    });
  });

  test('the heap rule: a worker that reports its heap above maxWorkerHeapBytes is replaced after the job', async () => {
    await withBackend({ maxWorkerHeapBytes: 1024 }, async (backend) => {
      const first = await theContainer();
      assert.equal(value(await call(backend, 'return 1;')), 1);
      await replacedBy(first);
    });
  });
});
