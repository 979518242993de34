/**
 * Hostile handlers run through the real Docker backend, inside real locked-down containers.
 * Each test proves one restriction from inside the container. The backends here use the
 * process layer (handlers in plain Node, the container alone): what a job could do if it broke
 * out of its isolate in the default two-layer mode (docker-two-layer.test.ts covers that mode). Skips without a local daemon,
 * fails without one when CI=true.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Docker from 'dockerode';
import { createDockerBackend } from '../../sandbox/docker/backend.ts';
import { parseDockerQuotas } from '../../sandbox/docker/quotas.ts';
import type { JsonValue } from '../../sandbox/json.ts';
import type { WorkerBackend, WorkerResult } from '../../sandbox/worker-backend.ts';
import { CONTAINER_ID_HANDLER, dockerSkipReason, leftoverContainers } from '../support/docker-env.ts';
import { DOCKER_TEST_RUNTIMES, isGvisor } from '../support/docker-runtimes.ts';
import type { DockerRuntime } from '../../sandbox/docker/runtime.ts';

const skip = await dockerSkipReason();
const LIMITS = { timeoutMs: 20_000, memoryMb: 64, maxOutputBytes: 256 * 1024 };
const SECRET_NAME = 'PALISADE_TEST_FAKE_SECRET';
const SECRET_VALUE = 'supervisor-secret-8c1f0e';
let seq = 0;

function call(backend: WorkerBackend, handler: string, options: { fresh?: boolean; timeoutMs?: number } = {}): Promise<WorkerResult> {
  seq += 1;
  const job = { callId: `hostile-${seq}`, tool: 'js.eval', handler, args: null, ...(options.fresh === true ? { fresh: true } : {}) };
  return backend.run(job, { ...LIMITS, ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}) });
}

function value(result: WorkerResult): JsonValue {
  assert.equal(result.ok, true, JSON.stringify(result));
  return result.ok ? result.value : null;
}

const FS = `const fs = process.getBuiltinModule('node:fs');`;
const CONTAINER_ID = CONTAINER_ID_HANDLER;

/**
 * The id of the container the next job runs in. Under runc read from inside the container;
 * gVisor shows no host path or cgroup inside the sandbox, so under runsc it comes from the
 * daemon: the one running container of this test process's pool (poolSize 1, no spare), after a
 * job has answered in it.
 */
async function containerIdOf(backend: WorkerBackend, runtime: DockerRuntime): Promise<string> {
  if (!isGvisor(runtime)) return String(value(await call(backend, CONTAINER_ID)));
  assert.equal(value(await call(backend, 'return 1;')), 1);
  const list = await new Docker().listContainers({ filters: { label: [`palisade.supervisor-pid=${process.pid}`], status: ['running'] } });
  assert.equal(list.length, 1, `one running pool container, got ${list.length}`);
  return list[0]!.Id;
}

// issue 20: every case runs under each runtime the daemon has (runc, and runsc = gVisor; both in CI)
for (const runtime of DOCKER_TEST_RUNTIMES) describe(`[${runtime}] docker worker: restrictions proven from inside the container`, { skip, timeout: 600_000 }, () => {
  let backend: WorkerBackend;
  const supervisorErrors: unknown[] = [];
  const onError = (reason: unknown): void => void supervisorErrors.push(reason);

  before(async () => {
    process.on('unhandledRejection', onError);
    process.on('uncaughtException', onError);
    process.env[SECRET_NAME] = SECRET_VALUE;
    backend = createDockerBackend({ enabled: true, layer: 'process', poolSize: 1, maxJobsPerContainer: 1000, runtime });
    await backend.start();
    assert.equal(backend.health().state, 'healthy', JSON.stringify(backend.health()));
  });

  after(async () => {
    delete process.env[SECRET_NAME];
    await backend?.close();
    process.off('unhandledRejection', onError);
    process.off('uncaughtException', onError);
  });

  test('TCP (v4 and v6) and UDP sockets are refused with EPERM, DNS lookups fail, the Docker socket is absent', async () => {
    const out = value(await call(backend, `
      const net = process.getBuiltinModule('node:net'), dgram = process.getBuiltinModule('node:dgram'), dns = process.getBuiltinModule('node:dns');
      const connect = (opts) => new Promise((r) => { try { const s = net.connect(opts); s.on('connect', () => r('connected')); s.on('error', (e) => r(e.code)); } catch (e) { r('threw ' + e.code); } });
      const udp = await new Promise((r) => { try { const s = dgram.createSocket('udp4'); s.on('error', (e) => r(e.code)); s.send('x', 53, '127.0.0.1', (e) => r(e ? e.code : 'sent')); } catch (e) { r('threw ' + e.code); } });
      return {
        tcp: await connect({ host: '127.0.0.1', port: 80 }),
        tcp6: await connect({ host: '::1', port: 80 }),
        udp,
        lookup: await dns.promises.lookup('example.com').then(() => 'resolved', (e) => e.code),
        resolve: await dns.promises.resolve4('example.com').then(() => 'resolved', (e) => e.code),
        dockerSock: await connect('/var/run/docker.sock'),
      };`)) as Record<string, string>;
    assert.equal(out['tcp'], 'EPERM');
    assert.equal(out['tcp6'], 'EPERM');
    assert.equal(out['udp'], 'EPERM');
    assert.notEqual(out['lookup'], 'resolved');
    assert.notEqual(out['resolve'], 'resolved');
    assert.equal(out['dockerSock'], 'ENOENT');
  });

  test('writes outside /tmp fail with EROFS and the root filesystem is mounted read-only', async () => {
    const out = value(await call(backend, `${FS}
      const tried = {};
      for (const p of ['/evil', '/app/evil.ts', '/app/sandbox/docker/worker/main.js', '/usr/local/bin/node']) {
        try { fs.writeFileSync(p, 'x'); tried[p] = 'written'; } catch (e) { tried[p] = e.code; }
      }
      const root = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\\n').find((l) => l.split(' ')[4] === '/');
      return { tried, rootOptions: root.split(' ')[5] };`)) as { tried: Record<string, string>; rootOptions: string };
    // gVisor checks file permissions before the read-only mount: uid 65534 gets EACCES there,
    // the root is still mounted ro (below; with --overlay2=none, without it a write succeeded)
    for (const [file, code] of Object.entries(out.tried)) assert.equal(code, isGvisor(runtime) ? 'EACCES' : 'EROFS', file);
    assert.ok(out.rootOptions.split(',').includes('ro'), out.rootOptions);
  });

  test('no other path is writable: /etc/hostname, /dev, /dev/mqueue, /sys/fs/cgroup, /proc/sys all refuse writes', async () => {
    const out = value(await call(backend, `${FS}
      const tried = {};
      for (const p of ['/etc/hostname', '/dev/evil', '/dev/mqueue/evil', '/dev/shm/evil', '/sys/fs/cgroup/evil', '/proc/sys/kernel/hostname']) {
        try { fs.appendFileSync(p, 'x'); tried[p] = 'written'; } catch (e) { tried[p] = e.code; }
      }
      return tried;`)) as Record<string, string>;
    for (const [file, code] of Object.entries(out)) assert.notEqual(code, 'written', file);
  });

  test(isGvisor(runtime) ? 'under gVisor /tmp is read-only: writing there fails with EROFS' : 'writing more than 16 MiB to /tmp fails with ENOSPC', async () => {
    const out = value(await call(backend, `${FS}
      let fd; try { fd = fs.openSync('/tmp/big', 'w'); } catch (e) { return { written: 0, code: e.code, opened: false }; }
      const chunk = Buffer.alloc(1 << 20, 7); let written = 0;
      try { for (let i = 0; i < 20; i++) { fs.writeSync(fd, chunk); written++; } return { written }; }
      catch (e) { return { written, code: e.code }; } finally { fs.closeSync(fd); fs.rmSync('/tmp/big'); }`)) as { written: number; code?: string; opened?: boolean };
    if (isGvisor(runtime)) {
      assert.deepEqual(out, { written: 0, code: 'EROFS', opened: false });
      return;
    }
    assert.equal(out.code, 'ENOSPC');
    assert.ok(out.written <= 16, `wrote ${out.written} MiB`);
  });

  test(isGvisor(runtime) ? '/tmp is mounted ro and noexec' : '/tmp is mounted noexec, nosuid and nodev', async () => {
    const line = value(await call(backend, `${FS} return fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\\n').find((l) => l.split(' ')[4] === '/tmp');`));
    assert.equal(typeof line, 'string');
    const options = String(line).split(' ')[5]?.split(',') ?? [];
    // gVisor's mountinfo lists ro/noexec but not nosuid/nodev for the tmpfs (its Sentry owns the
    // mount; mknod and set-id are refused by the profile and no_new_privs anyway)
    for (const flag of isGvisor(runtime) ? ['ro', 'noexec'] : ['rw', 'noexec', 'nosuid', 'nodev']) assert.ok(options.includes(flag), `${flag} in ${String(line)}`);
  });

  test(isGvisor(runtime)
    ? 'native code cannot be dropped anywhere to load: under gVisor (whose mmap ignores noexec before release-20250203) every mount is read-only, the copy to /tmp fails EROFS'
    : 'native code dropped into /tmp cannot be loaded (noexec): process.dlopen fails', async () => {
    const out = value(await call(backend, `${FS}
      const lib = fs.readdirSync('/lib/x86_64-linux-gnu').find((n) => n.startsWith('libm.so'));
      try { fs.copyFileSync('/lib/x86_64-linux-gnu/' + lib, '/tmp/evil.so'); } catch (e) { return 'copy ' + e.code; }
      try { process.dlopen({ exports: {} }, '/tmp/evil.so'); return 'loaded'; }
      catch (e) { return String(e.message).slice(0, 200); } finally { fs.rmSync('/tmp/evil.so'); }`));
    assert.notEqual(out, 'loaded');
    if (isGvisor(runtime)) {
      // with a writable /tmp this gVisor maps the copy (dlopen gets as far as Node's module
      // registration: "did not self-register"); container-config.ts tmpfsOptions
      assert.equal(out, 'copy EROFS');
      return;
    }
    assert.match(String(out), /failed to map segment|operation not permitted|permission denied/i);
  });

  test('child_process spawn, execFileSync and fork are refused with EPERM (seccomp)', async () => {
    const out = value(await call(backend, `
      const cp = process.getBuiltinModule('node:child_process');
      const attempt = (start) => new Promise((r) => { try { const c = start(); c.on('error', (e) => r(e.code)); c.on('exit', () => r('exited')); } catch (e) { r(e.code); } });
      let sync; try { cp.execFileSync('/usr/local/bin/node', ['-e', '1']); sync = 'ran'; } catch (e) { sync = e.code; }
      return {
        sync,
        spawn: await attempt(() => cp.spawn('/usr/local/bin/node', ['-e', '1'])),
        fork: await attempt(() => cp.fork('/app/sandbox/json.ts')),
      };`)) as Record<string, string>;
    assert.deepEqual(out, { sync: 'EPERM', spawn: 'EPERM', fork: 'EPERM' });
  });

  test('runs as uid/gid 65534 with no capabilities, no_new_privs and a seccomp filter', async () => {
    const status = String(value(await call(backend, `${FS} return fs.readFileSync('/proc/self/status', 'utf8');`)));
    const field = (name: string): string => new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(status)?.[1]?.trim() ?? '';
    assert.equal(field('Uid'), '65534\t65534\t65534\t65534');
    assert.equal(field('Gid'), '65534\t65534\t65534\t65534');
    // gVisor's /proc/self/status has no CapAmb line (no ambient capabilities to show)
    for (const caps of ['CapEff', 'CapPrm', 'CapInh', 'CapBnd', ...(isGvisor(runtime) ? [] : ['CapAmb'])]) assert.equal(field(caps), '0000000000000000', caps);
    if (isGvisor(runtime)) assert.equal(field('CapAmb'), '');
    // gVisor's /proc/self/status has no NoNewPrivs line: not observable from inside under runsc
    // (the spec sets it, container-config.ts; docker-syscalls proves the filter itself there)
    assert.equal(field('NoNewPrivs'), isGvisor(runtime) ? '' : '1');
    assert.equal(field('Seccomp'), '2');
  });

  test('/proc/1/environ and process.env hold none of the supervisor environment', async () => {
    const out = value(await call(backend, `${FS} return { environ: fs.readFileSync('/proc/1/environ', 'utf8'), env: Object.keys(process.env), pid: process.pid };`)) as { environ: string; env: string[]; pid: number };
    assert.equal(out.pid, 1, 'node is PID 1: its environ is the container environment');
    assert.ok(!out.environ.includes(SECRET_VALUE));
    assert.ok(!out.environ.includes(SECRET_NAME));
    assert.ok(!out.env.includes(SECRET_NAME));
    // Docker's own PATH/HOSTNAME/HOME, and the one fixed entry the spec sets (WORKER_ENV), nothing else
    for (const entry of out.environ.split('\0').filter(Boolean)) assert.match(entry, /^((PATH|HOSTNAME|HOME)=|MALLOC_MMAP_THRESHOLD_=131072$)/);
  });

  test('an output larger than maxOutputBytes ends with SBX_ERR_OUTPUT_TOO_LARGE and the pool keeps working', async () => {
    const big = await call(backend, `return 'x'.repeat(300 * 1024);`);
    assert.ok(!big.ok && big.code === 'SBX_ERR_OUTPUT_TOO_LARGE', JSON.stringify(big).slice(0, 200));
    assert.equal(value(await call(backend, 'return 1;')), 1);
  });

  test('a flood written straight to stdout is a protocol violation: the container is replaced', async () => {
    const before = await containerIdOf(backend, runtime);
    const flood = await call(backend, `process.stdout.write(Buffer.alloc(4 << 20, 0x41)); await new Promise((r) => setTimeout(r, 5000)); return 'unreachable';`);
    assert.ok(!flood.ok && (flood.code === 'SBX_ERR_OUTPUT_TOO_LARGE' || flood.code === 'SBX_ERR_BAD_OUTPUT'), JSON.stringify(flood));
    const afterId = await containerIdOf(backend, runtime);
    assert.notEqual(afterId, before);
  });

  test('a container that writes a malformed frame is replaced and the next call works', async () => {
    const before = await containerIdOf(backend, runtime);
    const body = Buffer.from('{not json');
    const garbage = await call(backend, `const h = Buffer.alloc(4); h.writeUInt32BE(${body.length}); process.stdout.write(Buffer.concat([h, Buffer.from(${JSON.stringify(body.toString())})])); await new Promise((r) => setTimeout(r, 5000)); return 'late';`);
    assert.ok(!garbage.ok && garbage.code === 'SBX_ERR_BAD_OUTPUT', JSON.stringify(garbage));
    assert.notEqual(await containerIdOf(backend, runtime), before);
  });

  test('an infinite loop ends with SBX_ERR_TIMEOUT and that container is killed and removed', async () => {
    const id = await containerIdOf(backend, runtime);
    assert.match(id, /^[0-9a-f]{64}$/);
    const looped = await call(backend, 'for (;;) {}', { timeoutMs: 1_500 });
    assert.ok(!looped.ok && looped.code === 'SBX_ERR_TIMEOUT', JSON.stringify(looped));
    await assert.rejects(new Docker().getContainer(String(id)).inspect(), /no such container/i);
    assert.equal(value(await call(backend, 'return "next";')), 'next');
  });

  test(isGvisor(runtime)
    ? 'KNOWN DIFFERENCE: under gVisor a handler CAN SIGKILL its own PID-1 worker: the call ends SBX_ERR_WORKER_CRASHED (not the memory limit), the container is replaced and the next call works'
    : 'a handler cannot SIGKILL its own PID-1 worker', async () => {
    const killed = await call(backend, `process.kill(1, 'SIGKILL'); await new Promise((r) => setTimeout(r, 300)); return process.pid;`);
    if (isGvisor(runtime)) {
      // gVisor does not shield PID 1 from its own SIGKILL: exit 137 with no OOM kill recorded,
      // a crash (worker-reply.ts exitOutcome: 137 alone never reads as memory)
      assert.ok(!killed.ok && killed.code === 'SBX_ERR_WORKER_CRASHED', JSON.stringify(killed));
      assert.equal(value(await call(backend, 'return "next";')), 'next');
      return;
    }
    assert.equal(value(killed), 1);
  });

  test('a handler that exits with code 137 (what an OOM kill looks like) is a crash, SBX_ERR_WORKER_CRASHED, not the memory limit', async () => {
    const id = await containerIdOf(backend, runtime);
    const exited = await call(backend, 'process.exit(137);');
    assert.deepEqual(exited.ok ? exited : { code: exited.code, message: exited.message }, { code: 'SBX_ERR_WORKER_CRASHED', message: 'worker exited (code 137)' });
    assert.notEqual(await containerIdOf(backend, runtime), id);
  });

  test('a memory balloon is OOM-killed: SBX_ERR_MEMORY_LIMIT, the container is replaced, the next call works', async () => {
    const id = await containerIdOf(backend, runtime);
    const balloon = await call(backend, 'const hold = []; for (;;) hold.push(Buffer.alloc(1 << 20, 1));');
    assert.ok(!balloon.ok && balloon.code === 'SBX_ERR_MEMORY_LIMIT', JSON.stringify(balloon));
    const next = await containerIdOf(backend, runtime);
    assert.match(next, /^[0-9a-f]{64}$/);
    assert.notEqual(next, id);
  });

  test('files written in one fresh-container call are gone in the next fresh container', async () => {
    const first = value(await call(backend, `${FS} try { fs.writeFileSync('/tmp/left-behind', 'secret'); } catch (e) { return e.code; } return fs.existsSync('/tmp/left-behind');`, { fresh: true }));
    assert.equal(first, isGvisor(runtime) ? 'EROFS' : true);
    const second = value(await call(backend, `${FS} return fs.existsSync('/tmp/left-behind');`, { fresh: true }));
    assert.equal(second, false);
  });

  test('a thrown error returns only its message (TOOL_ERR_THROWN), truncated to 1024 chars', async () => {
    const thrown = await call(backend, `throw new Error('bad ' + 'y'.repeat(5000));`);
    assert.ok(!thrown.ok && thrown.code === 'TOOL_ERR_THROWN');
    assert.ok(!thrown.ok && thrown.message.startsWith('bad yyy') && thrown.message.length <= 1024 && !thrown.message.includes('at '));
  });

  test('none of the crashes, kills, floods and OOM kills above raised an error or rejection in the supervisor', () => {
    assert.deepEqual(supervisorErrors, []);
  });
});

for (const runtime of DOCKER_TEST_RUNTIMES) describe(`[${runtime}] docker worker, process layer (plain Node, the outer layer alone): single-use containers`, { skip, timeout: 300_000 }, () => {
  let backend: WorkerBackend;
  before(async () => {
    backend = createDockerBackend({ enabled: true, layer: 'process', poolSize: 2, runtime });
    await backend.start();
  });
  after(async () => {
    await backend?.close();
  });

  test('state a call leaves behind (globals, patched builtins, timers, /tmp files) never reaches the next call', async () => {
    const planted = value(await call(backend, `${FS}
      globalThis.stolen = []; const parse = JSON.parse;
      JSON.parse = (text, ...rest) => { globalThis.stolen.push(text); return parse(text, ...rest); };
      setInterval(() => { try { fs.writeFileSync('/tmp/spy', String(globalThis.stolen.length)); } catch {} }, 5);
      try { fs.writeFileSync('/tmp/planted', 'x'); } catch (e) { return e.code; }
      return 'planted';`));
    assert.equal(planted, isGvisor(runtime) ? 'EROFS' : 'planted'); // under gVisor /tmp is read-only
    for (let i = 0; i < 3; i++) {
      const seen = value(await call(backend, `${FS} return { stolen: typeof globalThis.stolen, patched: JSON.parse.toString().includes('stolen'), files: fs.readdirSync('/tmp') };`));
      assert.deepEqual(seen, { stolen: 'undefined', patched: false, files: [] });
    }
  });
});

// Under runsc the host pids cgroup holds the Sentry's own threads too: with PidsLimit = 64 the bomb
// starved the Sentry (Go "fatal error: newosproc", exit 2). There the cap is RLIMIT_NPROC, enforced
// by the Sentry on the sandbox's tasks, and the host cgroup leaves room for the Sentry
// (sandbox/docker/runtime.ts taskLimits); the same bomb must hit the same 64.
for (const runtime of DOCKER_TEST_RUNTIMES) describe(`[${runtime}] docker worker: pids limit`, { skip, timeout: 300_000 }, () => {
  // memory raised to 2g so that the pids cgroup, not the memory limit, is what stops the bomb
  let backend: WorkerBackend;
  before(async () => {
    const quotas = parseDockerQuotas({ memory: '2g', pids: '64' });
    assert.ok(quotas.ok);
    backend = createDockerBackend({ enabled: true, layer: 'process', poolSize: 1, quotas, runtime });
    await backend.start();
  });
  after(async () => {
    await backend?.close();
    assert.deepEqual(await leftoverContainers(), []);
  });

  test('a worker-thread bomb is capped at 64 tasks and further threads fail to start', async () => {
    const out = value(await call(backend, `${FS}
      const { Worker } = process.getBuiltinModule('node:worker_threads');
      const workers = []; let online = 0; const failures = [];
      for (let i = 0; i < 150 && failures.length < 3; i++) {
        const r = await Promise.race([
          new Promise((res) => { try { const w = new Worker('setInterval(() => {}, 1000)', { eval: true, resourceLimits: { maxOldGenerationSizeMb: 4, maxYoungGenerationSizeMb: 1 } }); workers.push(w); w.on('online', () => res('online')); w.on('error', (e) => res(String(e.code ?? e.message))); } catch (e) { res(String(e.code ?? e.message)); } }),
          new Promise((res) => setTimeout(() => res('stuck'), 5000)),
        ]);
        if (r === 'online') online++; else failures.push(r);
      }
      const threads = fs.readdirSync('/proc/self/task').length;
      const events = ['/sys/fs/cgroup/pids/pids.events', '/sys/fs/cgroup/pids.events'].filter((p) => fs.existsSync(p)).map((p) => fs.readFileSync(p, 'utf8').trim())[0] ?? 'missing';
      for (const w of workers) w.terminate();
      return { online, failures, threads, events };`, { timeoutMs: 120_000 })) as { online: number; failures: string[]; threads: number; events: string };
    assert.ok(out.threads <= 64, `threads=${out.threads}`);
    assert.ok(out.online < 64, `online=${out.online}`);
    assert.ok(out.failures.length > 0, 'further threads failed to start');
    // runc: the pids cgroup refused them (its events count); runsc: the Sentry's RLIMIT_NPROC
    // (gVisor has neither pids.events nor /proc/self/limits): the thread fails to start
    if (isGvisor(runtime)) assert.ok(out.failures.every((f) => f === 'ERR_WORKER_INIT_FAILED'), JSON.stringify(out.failures));
    else assert.match(out.events, /^max [1-9][0-9]*$/);
    // the worker survived its own bomb and answered (above); the next container works
    assert.equal(value(await call(backend, 'return 1;')), 1);
  });
});
