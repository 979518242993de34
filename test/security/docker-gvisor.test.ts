/**
 * Issue 20: the third layer is really there. Under runsc a worker talks to gVisor's Sentry, a
 * user-space kernel, not to the host kernel: it reports gVisor's kernel release (4.4.0), /proc
 * holds only the sandbox, and host-kernel interfaces that runc exposes are not reachable. The
 * probe chosen: /proc/kallsyms (the host kernel's symbol table, 5 MB under runc even for uid
 * 65534, addresses zeroed), /sys/kernel/notes and /sys/kernel/vmcoreinfo (the host kernel's
 * build notes and crash-dump layout) and /proc/sys/kernel/osrelease. The runc run is the
 * control: the same handler there sees the host kernel, so the runsc answers are gVisor's and
 * not a quirk of the image. Both runtimes in CI (test/support/docker-runtimes.ts).
 */
import assert from 'node:assert/strict';
import os from 'node:os';
import { after, before, describe, test } from 'node:test';
import { createDockerBackend } from '../../sandbox/docker/backend.ts';
import type { WorkerBackend } from '../../sandbox/worker-backend.ts';
import { dockerSkipReason } from '../support/docker-env.ts';
import { DOCKER_TEST_RUNTIMES, isGvisor } from '../support/docker-runtimes.ts';

const skip = await dockerSkipReason();
const HOST_RELEASE = os.release();

const PROBE = `const fs = process.getBuiltinModule('node:fs'), os = process.getBuiltinModule('node:os');
  const read = (f) => { try { return { ok: true, size: fs.readFileSync(f).length, head: fs.readFileSync(f, 'utf8').slice(0, 200) }; } catch (e) { return { ok: false, code: e.code }; } };
  const list = (d) => { try { return fs.readdirSync(d); } catch (e) { return e.code; } };
  return {
    release: os.release(),
    pids: fs.readdirSync('/proc').filter((n) => /^[0-9]+$/.test(n)),
    pid1: fs.readFileSync('/proc/1/cmdline', 'utf8').split('\\0').filter(Boolean).slice(0, 2),
    version: read('/proc/version'),
    kallsyms: read('/proc/kallsyms'),
    notes: read('/sys/kernel/notes'),
    vmcoreinfo: read('/sys/kernel/vmcoreinfo'),
    osrelease: read('/proc/sys/kernel/osrelease'),
    sysKernel: list('/sys/kernel'),
    rootFs: fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\\n').find((l) => l.split(' ')[4] === '/')?.split(' - ')[1]?.split(' ')[0] ?? null,
  };`;

interface Seen {
  release: string;
  pids: string[];
  pid1: string[];
  version: { ok: boolean; head?: string };
  kallsyms: { ok: boolean; size?: number; code?: string };
  notes: { ok: boolean; code?: string };
  vmcoreinfo: { ok: boolean; code?: string };
  osrelease: { ok: boolean; head?: string; code?: string };
  sysKernel: string[] | string;
  rootFs: string | null;
}

for (const runtime of DOCKER_TEST_RUNTIMES) describe(`[${runtime}] docker worker: which kernel the worker talks to`, { skip, timeout: 300_000 }, () => {
  let backend: WorkerBackend;
  let seen: Seen;
  before(async () => {
    backend = createDockerBackend({ enabled: true, layer: 'process', poolSize: 1, runtime });
    await backend.start();
    const r = await backend.run({ callId: `gvisor-${runtime}`, tool: 'js.eval', handler: PROBE, args: null }, { timeoutMs: 20_000, memoryMb: 64, maxOutputBytes: 64 * 1024 });
    assert.ok(r.ok, JSON.stringify(r));
    seen = r.value as unknown as Seen;
  });
  after(async () => backend?.close());

  test('/proc holds only the sandbox: one process, the worker as PID 1', () => {
    assert.deepEqual(seen.pids, ['1']);
    assert.equal(seen.pid1[0], '/usr/local/bin/node');
  });

  if (isGvisor(runtime)) {
    test(`os.release() and /proc/version are gVisor's (4.4.0), not the host kernel's (${HOST_RELEASE})`, () => {
      assert.equal(seen.release, '4.4.0');
      assert.notEqual(seen.release, HOST_RELEASE);
      assert.ok(seen.version.ok && seen.version.head?.startsWith('Linux version 4.4.0 '), JSON.stringify(seen.version));
      assert.ok(!String(seen.version.head).includes(HOST_RELEASE));
    });

    test('host-kernel interfaces are not reachable: /proc/kallsyms, /sys/kernel/notes, /sys/kernel/vmcoreinfo, osrelease absent, /sys/kernel empty', () => {
      assert.deepEqual(seen.kallsyms, { ok: false, code: 'ENOENT' });
      assert.deepEqual(seen.notes, { ok: false, code: 'ENOENT' });
      assert.deepEqual(seen.vmcoreinfo, { ok: false, code: 'ENOENT' });
      assert.deepEqual(seen.osrelease, { ok: false, code: 'ENOENT' });
      assert.deepEqual(seen.sysKernel, []);
    });

    test('the root filesystem is served by gVisor\'s gofer (9p), not an overlay mount of the host kernel', () => {
      assert.equal(seen.rootFs, '9p');
    });
  } else {
    test(`control: under runc the worker sees the host kernel (${HOST_RELEASE}) and its interfaces`, () => {
      assert.equal(seen.release, HOST_RELEASE);
      assert.ok(seen.kallsyms.ok && (seen.kallsyms.size ?? 0) > 0, JSON.stringify(seen.kallsyms));
      assert.ok(seen.notes.ok, JSON.stringify(seen.notes));
      assert.ok(seen.osrelease.ok && seen.osrelease.head?.trim() === HOST_RELEASE);
      assert.ok(Array.isArray(seen.sysKernel) && seen.sysKernel.length > 0);
    });
  }
});

if (DOCKER_TEST_RUNTIMES.includes('runsc')) {
  describe('[runc pool] a manifest asking for runsc gets a fresh gVisor container', { skip, timeout: 300_000 }, () => {
    let backend: WorkerBackend;
    before(async () => {
      backend = createDockerBackend({ enabled: true, layer: 'process', poolSize: 1, runtime: 'runc' });
      await backend.start();
    });
    after(async () => backend?.close());

    test('the same handler: host kernel in the runc pool, gVisor 4.4.0 for the job that asks for runsc', async () => {
      const limits = { timeoutMs: 20_000, memoryMb: 64, maxOutputBytes: 4096 };
      const handler = `return process.getBuiltinModule('node:os').release();`;
      const pool = await backend.run({ callId: 'rt-pool', tool: 't', handler, args: null }, limits);
      assert.ok(pool.ok && pool.value === HOST_RELEASE, JSON.stringify(pool));
      const strong = await backend.run({ callId: 'rt-strong', tool: 't', handler, args: null, dockerRuntime: 'runsc' }, limits);
      assert.ok(strong.ok && strong.value === '4.4.0', JSON.stringify(strong));
    });
  });
}
