/** Issue 15: when a reused worker container is retired (sandbox/docker/recycle.ts), the default pool size, the heap report. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultDockerPoolSize } from '../../../sandbox/docker/pool-size.ts';
import { DEFAULT_RECYCLE_RULES, recycleRules, recycleVerdict, RETIRING_CODES } from '../../../sandbox/docker/recycle.ts';
import { reportedHeap } from '../../../sandbox/docker/worker-reply.ts';

const MIB = 1024 * 1024;
const rules = recycleRules(64 * MIB, { maxJobs: 10, maxAgeMs: 60_000 });
const fresh = { dead: false, jobsRun: 1, readyAt: 1_000, heapBytes: 5 * MIB };

test('defaults: 1024 jobs, 10 minutes, heap threshold half the container memory', () => {
  assert.equal(DEFAULT_RECYCLE_RULES.maxJobs, 1024);
  assert.equal(DEFAULT_RECYCLE_RULES.maxAgeMs, 600_000);
  assert.equal(recycleRules(64 * MIB).maxHeapBytes, 32 * MIB);
  assert.deepEqual(recycleRules(64 * MIB), { maxJobs: 1024, maxAgeMs: 600_000, maxHeapBytes: 32 * MIB });
});

test('a healthy young container that ran few jobs is kept, also after a handler error of its own', () => {
  assert.deepEqual(recycleVerdict(fresh, rules, 2_000), { retire: false });
  assert.deepEqual(recycleVerdict(fresh, rules, 2_000, { ok: true }), { retire: false });
  for (const code of ['TOOL_ERR_THROWN', 'SBX_ERR_BAD_OUTPUT', 'SBX_ERR_OUTPUT_TOO_LARGE'] as const) {
    assert.deepEqual(recycleVerdict(fresh, rules, 2_000, { ok: false, code }), { retire: false }, code);
  }
});

test('a job that hit a limit or crashed retires the container', () => {
  for (const code of ['SBX_ERR_TIMEOUT', 'SBX_ERR_MEMORY_LIMIT', 'SBX_ERR_WORKER_CRASHED', 'SBX_ERR_ABORTED', 'SBX_ERR_KILLED'] as const) {
    assert.ok(RETIRING_CODES.has(code));
    const verdict = recycleVerdict(fresh, rules, 2_000, { ok: false, code });
    assert.ok(verdict.retire && verdict.reason.includes(code), code);
  }
});

test('the N-jobs, T-seconds and heap rules fire exactly at their thresholds; a dead container is retired', () => {
  assert.equal(recycleVerdict({ ...fresh, jobsRun: 9 }, rules, 2_000).retire, false);
  assert.equal(recycleVerdict({ ...fresh, jobsRun: 10 }, rules, 2_000).retire, true);
  assert.equal(recycleVerdict(fresh, rules, 1_000 + 59_999).retire, false);
  assert.equal(recycleVerdict(fresh, rules, 1_000 + 60_000).retire, true);
  assert.equal(recycleVerdict({ ...fresh, heapBytes: 32 * MIB }, rules, 2_000).retire, false);
  assert.equal(recycleVerdict({ ...fresh, heapBytes: 32 * MIB + 1 }, rules, 2_000).retire, true);
  assert.equal(recycleVerdict({ ...fresh, heapBytes: undefined }, rules, 2_000).retire, false);
  assert.equal(recycleVerdict({ ...fresh, dead: true }, rules, 2_000).retire, true);
});

test('the heap report beside a result is taken only when it is a plausible byte count', () => {
  assert.equal(reportedHeap({ t: 'result', id: 'a', ok: true, value: 1, heapBytes: 123 }), 123);
  for (const bad of [-1, 1.5, '5', Number.NaN, Infinity, null, {}]) assert.equal(reportedHeap({ heapBytes: bad }), undefined, String(bad));
  assert.equal(reportedHeap({ t: 'ready' }), undefined);
  assert.equal(reportedHeap(null), undefined);
});

test('default pool size: cores over the CPU quota, bounded by a quarter of host memory, 1..16', () => {
  assert.equal(defaultDockerPoolSize({ cores: 2, cpus: 0.5, memoryBytes: 64 * MIB, hostMemoryBytes: 8192 * MIB }), 4);
  assert.equal(defaultDockerPoolSize({ cores: 2, cpus: 0.5, memoryBytes: 1024 * MIB, hostMemoryBytes: 8192 * MIB }), 2);
  assert.equal(defaultDockerPoolSize({ cores: 1, cpus: 2, memoryBytes: 64 * MIB, hostMemoryBytes: 8192 * MIB }), 1);
  assert.equal(defaultDockerPoolSize({ cores: 64, cpus: 0.5, memoryBytes: 64 * MIB, hostMemoryBytes: 65536 * MIB }), 16);
  assert.equal(defaultDockerPoolSize({ cores: 8, cpus: 0.5, memoryBytes: 4096 * MIB, hostMemoryBytes: 4096 * MIB }), 1);
});

test('pool settings from PALISADE_DOCKER_*: defaults from cores and memory, every bad value named', async () => {
  const { parseDockerPoolConfig } = await import('../../../sandbox/docker/pool-config.ts');
  const quotas = { memoryBytes: 64 * MIB, nanoCpus: 500_000_000, pids: 64 };
  const host = { cores: 2, hostMemoryBytes: 8192 * MIB };
  assert.deepEqual(parseDockerPoolConfig(() => undefined, quotas, host), {
    ok: true, poolSize: 4, jobsPerContainer: 2, maxJobsPerContainer: 1024, maxContainerAgeMs: 600_000, maxWorkerHeapBytes: 32 * MIB,
  });
  const env: Record<string, string> = { DOCKER_POOL_SIZE: '3', DOCKER_JOBS_PER_CONTAINER: '1', DOCKER_MAX_JOBS: '10', DOCKER_MAX_AGE_SECONDS: '60', DOCKER_MAX_HEAP_MB: '20' };
  assert.deepEqual(parseDockerPoolConfig((n) => env[n], quotas, host), {
    ok: true, poolSize: 3, jobsPerContainer: 1, maxJobsPerContainer: 10, maxContainerAgeMs: 60_000, maxWorkerHeapBytes: 20 * MIB,
  });
  const bad: Record<string, string> = { DOCKER_POOL_SIZE: '0', DOCKER_JOBS_PER_CONTAINER: '9', DOCKER_MAX_JOBS: 'lots', DOCKER_MAX_AGE_SECONDS: '1', DOCKER_MAX_HEAP_MB: '-5' };
  const refused = parseDockerPoolConfig((n) => bad[n], quotas, host);
  assert.ok(!refused.ok);
  if (!refused.ok) {
    assert.equal(refused.problems.length, 5);
    for (const name of Object.keys(bad)) assert.ok(refused.problems.some((p) => p.startsWith(`PALISADE_${name}:`)), name);
  }
});
