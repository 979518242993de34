/**
 * Health transitions when the daemon goes away and comes back. The backend talks to the real
 * engine through a unix-socket relay this test controls, so the "outage" touches nothing else.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import Docker from 'dockerode';
import { createDockerBackend } from '../../sandbox/docker/backend.ts';
import type { HealthChange } from '../../sandbox/worker-backend.ts';
import { dockerSkipReason, leftoverContainers } from '../support/docker-env.ts';

const skip = await dockerSkipReason();
const DAEMON = process.env['DOCKER_HOST']?.startsWith('unix://') ? process.env['DOCKER_HOST'].slice(7) : '/var/run/docker.sock';

function relay(socketPath: string): Promise<{ close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(DAEMON);
    sockets.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  });
  return new Promise((resolve) =>
    server.listen(socketPath, () =>
      resolve({
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      }),
    ),
  );
}

async function until(check: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('docker backend health', { skip, timeout: 300_000 }, () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'palisade-relay-'));
  const socketPath = path.join(dir, 'docker.sock');
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  process.on('uncaughtException', onUnhandled);

  after(async () => {
    process.off('unhandledRejection', onUnhandled);
    process.off('uncaughtException', onUnhandled);
    rmSync(dir, { recursive: true, force: true });
    // containers started through the relay are removed by the next start's stale cleanup, or here
    const docker = new Docker();
    for (const id of await leftoverContainers()) await docker.getContainer(id).remove({ force: true }).catch(() => undefined);
  });

  test('goes down with a clear detail when the daemon disappears, and healthy again when it returns, without unhandled errors', async () => {
    let link = await relay(socketPath);
    const backend = createDockerBackend({ enabled: true, poolSize: 1, healthIntervalMs: 200, docker: new Docker({ socketPath }) });
    const changes: HealthChange[] = [];
    backend.onHealthChange((c) => changes.push(c));
    await backend.start();
    assert.equal(backend.health().state, 'healthy');

    await link.close();
    await until(() => backend.health().state === 'down');
    assert.match(backend.health().detail ?? '', /^Docker daemon unreachable/);
    const refused = await backend.run({ callId: 'h1', tool: 't', handler: 'return 1;', args: null }, { timeoutMs: 5000, memoryMb: 64, maxOutputBytes: 1024 });
    assert.ok(!refused.ok && refused.code === 'SBX_ERR_UNAVAILABLE');

    link = await relay(socketPath);
    await until(() => backend.health().state === 'healthy');
    const back = await backend.run({ callId: 'h2', tool: 't', handler: 'return "back";', args: null }, { timeoutMs: 10_000, memoryMb: 64, maxOutputBytes: 1024 });
    assert.deepEqual(back.ok && back.value, 'back');

    await backend.close();
    await link.close();
    const path = changes.map((c) => c.to);
    assert.deepEqual(path.slice(0, 2), ['healthy', 'down']);
    assert.ok(path.includes('degraded') && path.lastIndexOf('healthy') > path.indexOf('down'));
    assert.deepEqual(unhandled, []);
  });

  test('a backend started while the daemon is unreachable recovers on its own once the daemon appears', async () => {
    const laterSocket = path.join(dir, 'later.sock');
    const backend = createDockerBackend({ enabled: true, poolSize: 1, healthIntervalMs: 200, docker: new Docker({ socketPath: laterSocket }) });
    await backend.start();
    assert.equal(backend.health().state, 'down');
    assert.match(backend.health().detail ?? '', /^Docker daemon unreachable/);
    const link = await relay(laterSocket);
    await until(() => backend.health().state === 'healthy');
    const r = await backend.run({ callId: 'h3', tool: 't', handler: 'return 3;', args: null }, { timeoutMs: 10_000, memoryMb: 64, maxOutputBytes: 1024 });
    assert.deepEqual(r.ok && r.value, 3);
    await backend.close();
    await link.close();
    assert.deepEqual(unhandled, []);
  });
});
