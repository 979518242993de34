/**
 * Issue 15: no orphan containers. A gateway killed with SIGKILL leaves its warm worker
 * containers behind (nothing ran its shutdown); the next gateway removes them by label
 * (palisade.worker + a supervisor pid that is dead) before it serves: by the time it answers
 * /health they are gone, without any polling. A gateway stopped with SIGTERM drains and removes
 * every container it started before it exits.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import Docker from 'dockerode';
import { SUPERVISOR_PID_LABEL, WORKER_LABEL } from '../../sandbox/docker/container-config.ts';
import { dockerSkipReason } from '../support/docker-env.ts';
import { spawnGateway } from '../support/process.ts';

const skip = await dockerSkipReason();
const docker = new Docker();
const ENV = { PALISADE_SANDBOX_BACKEND: 'docker', PALISADE_DOCKER_POOL_SIZE: '1' };

async function containersOf(pid: number | undefined): Promise<string[]> {
  const list = await docker.listContainers({ all: true, filters: { label: [`${WORKER_LABEL}=1`, `${SUPERVISOR_PID_LABEL}=${String(pid)}`] } });
  return list.map((c) => c.Id);
}

async function waitForContainers(pid: number | undefined, atLeast: number): Promise<string[]> {
  const deadline = Date.now() + 180_000;
  for (;;) {
    const ids = await containersOf(pid);
    if (ids.length >= atLeast) return ids;
    if (Date.now() > deadline) throw new Error(`gateway ${String(pid)} started ${ids.length} containers, expected ${atLeast}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

test('kill -9 leaves containers; the next gateway removes them before serving; SIGTERM leaves none', { skip, timeout: 600_000 }, async () => {
  const first = await spawnGateway(ENV, 180_000);
  let orphans: string[];
  try {
    // pool size 1 + 1 standby
    orphans = await waitForContainers(first.child.pid, 2);
  } finally {
    first.child.kill('SIGKILL');
  }
  await first.exited;
  assert.deepEqual((await containersOf(first.child.pid)).sort(), orphans.sort(), 'SIGKILL ran no shutdown: the containers are still there');

  const second = await spawnGateway({ ...ENV, PALISADE_DATA_DIR: first.dataDir }, 180_000);
  try {
    // spawnGateway returned once /health answered 200: the gateway serves now
    assert.deepEqual(await containersOf(first.child.pid), [], 'the orphans were removed before the gateway served');
    await waitForContainers(second.child.pid, 2);
  } finally {
    second.child.kill('SIGTERM');
  }
  assert.equal(await second.exited, 0, second.output().slice(-2000));
  assert.deepEqual(await containersOf(second.child.pid), [], 'SIGTERM drained and removed every container');
});
