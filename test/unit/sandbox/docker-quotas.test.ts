import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDockerQuotas } from '../../../sandbox/docker/quotas.ts';

test('uses 64m, 0.5 CPU and 64 pids when nothing is configured', () => {
  assert.deepEqual(parseDockerQuotas({}), { ok: true, memoryBytes: 64 * 1024 * 1024, nanoCpus: 500_000_000, pids: 64 });
});

test('parses sizes with k/m/g units in either case and plain byte counts', () => {
  const r = parseDockerQuotas({ memory: '128M', cpus: '1.25', pids: '100' });
  assert.deepEqual(r, { ok: true, memoryBytes: 128 * 1024 * 1024, nanoCpus: 1_250_000_000, pids: 100 });
  const g = parseDockerQuotas({ memory: '1g' });
  assert.ok(g.ok && g.memoryBytes === 1024 ** 3);
  const bytes = parseDockerQuotas({ memory: String(64 * 1024 * 1024) });
  assert.ok(bytes.ok && bytes.memoryBytes === 64 * 1024 * 1024);
});

test('lists every problem at once for malformed or out-of-range values', () => {
  const r = parseDockerQuotas({ memory: '64 mb', cpus: 'half', pids: '-1' });
  assert.equal(r.ok, false);
  if (!r.ok) {
    assert.equal(r.problems.length, 3);
    assert.ok(r.problems.some((p) => p.startsWith('PALISADE_DOCKER_MEMORY')));
    assert.ok(r.problems.some((p) => p.startsWith('PALISADE_DOCKER_CPUS')));
    assert.ok(r.problems.some((p) => p.startsWith('PALISADE_DOCKER_PIDS')));
  }
});

test('refuses quotas too small for Node or absurdly large', () => {
  for (const input of [{ memory: '8m' }, { memory: '5g' }, { cpus: '0' }, { cpus: '65' }, { pids: '4' }, { pids: '100000' }, { cpus: '1e3' }, { memory: '0x40m' }]) {
    assert.equal(parseDockerQuotas(input).ok, false, JSON.stringify(input));
  }
});
