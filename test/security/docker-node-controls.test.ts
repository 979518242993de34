/**
 * Control runs for the Node-level hardening claims of docker-hostile.test.ts: TCP/UDP sockets
 * and child processes refused with EPERM by seccomp, a seccomp filter and no_new_privs, a
 * read-only root, a noexec/nosuid/nodev /tmp and no capabilities. The worker image's real node
 * binary runs one probe script four ways (see test/support/docker-probe.ts): `unhardened`
 * (writable root, exec-able /tmp, root with caps, seccomp unconfined) and `control` (the same
 * with the worker's filesystem), where every operation must succeed or reach the kernel;
 * `seccomp-only` (control + Palisade's profile), where each syscall must be refused with EPERM;
 * and the worker's exact spec, where each restriction must hold.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import Docker from 'dockerode';
import { ensureWorkerImage, NODE_PATH_IN_IMAGE } from '../../sandbox/docker/image.ts';
import { dockerSkipReason } from '../support/docker-env.ts';
import { runInContainer, type ProbeVariant } from '../support/docker-probe.ts';
import { DOCKER_TEST_RUNTIMES, isGvisor } from '../support/docker-runtimes.ts';

const skip = await dockerSkipReason();

const PROBE = `(async () => {
  const net = process.getBuiltinModule('node:net'), dgram = process.getBuiltinModule('node:dgram');
  const cp = process.getBuiltinModule('node:child_process'), fs = process.getBuiltinModule('node:fs');
  const connect = (o) => new Promise((r) => { try { const s = net.connect(o); s.on('connect', () => { s.destroy(); r('connected'); }); s.on('error', (e) => r(e.code)); } catch (e) { r('threw ' + e.code); } });
  const udp = await new Promise((r) => { try { const s = dgram.createSocket('udp4'); s.on('error', (e) => r(e.code)); s.send('x', 53, '127.0.0.1', (e) => { r(e ? e.code : 'sent'); s.close(); }); } catch (e) { r('threw ' + e.code); } });
  const spawned = cp.spawnSync(${JSON.stringify(NODE_PATH_IN_IMAGE)}, ['-e', '0']);
  const status = fs.readFileSync('/proc/self/status', 'utf8');
  const field = (n) => new RegExp('^' + n + ':\\\\s*(.*)$', 'm').exec(status)?.[1]?.trim();
  process.stdout.write(JSON.stringify({
    tcp: await connect({ host: '127.0.0.1', port: 80 }),
    tcp6: await connect({ host: '::1', port: 80 }),
    udp,
    spawn: spawned.error ? spawned.error.code : 'exit ' + spawned.status,
    seccomp: field('Seccomp'), noNewPrivs: field('NoNewPrivs'), capEff: field('CapEff'),
    rootWrite: (() => { try { fs.writeFileSync('/etc/owned', 'x'); return 'written'; } catch (e) { return e.code; } })(),
    tmpMount: fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\\n').find((l) => l.split(' ')[4] === '/tmp')?.split(' ')[5] ?? 'none',
  }) + '\\n');
})();`;

interface Out { tcp: string; tcp6: string; udp: string; spawn: string; seccomp: string; noNewPrivs: string; capEff: string; rootWrite: string; tmpMount: string }

// issue 20: under each runtime the daemon has (runc, and runsc = gVisor; both in CI)
for (const runtime of DOCKER_TEST_RUNTIMES) describe(`[${runtime}] docker worker hardening, Node level: control runs`, { skip, timeout: 300_000 }, () => {
  const docker = new Docker();
  const runs = new Map<ProbeVariant, Out>();

  before(async () => {
    const image = await ensureWorkerImage(docker);
    assert.ok(image.ok, JSON.stringify(image));
    for (const variant of ['unhardened', 'control', 'seccomp-only', 'worker'] as const) {
      const run = await runInContainer(docker, { image: image.tag, entrypoint: [NODE_PATH_IN_IMAGE, '-e', PROBE], cmd: [], variant, runtime });
      assert.equal(run.exitCode, 0, `${variant}: ${run.stdout}`);
      runs.set(variant, JSON.parse(run.stdout.trim()) as Out);
    }
  });

  const out = (variant: ProbeVariant): Out => {
    const o = runs.get(variant);
    assert.ok(o !== undefined, `${variant} did not report`);
    return o;
  };

  test('control (seccomp unconfined, caps added): TCP, TCP6 and UDP sockets reach the kernel, a child process runs', () => {
    const c = out('control');
    assert.equal(c.tcp, 'ECONNREFUSED', 'a socket was created and the connect reached the (empty) loopback');
    assert.notEqual(c.tcp6, 'EPERM');
    assert.notEqual(c.tcp6, 'connected');
    assert.equal(c.udp, 'sent');
    assert.equal(c.spawn, 'exit 0');
    assert.equal(c.seccomp, '0', 'no seccomp filter in the control run');
  });

  test('filesystem and capability controls: unhardened, root is writable, /tmp is exec-able and caps are held; the worker spec: EROFS, noexec/nosuid/nodev, CapEff 0', () => {
    const u = out('unhardened');
    assert.equal(u.rootWrite, 'written', 'control: a writable root accepts the write');
    assert.doesNotMatch(u.tmpMount, /noexec/);
    assert.notEqual(u.capEff, '0000000000000000');
    const w = out('worker');
    // under gVisor: EACCES (permission checked before the ro mount) and mountinfo lists noexec
    // only (docker-hostile.test.ts states both; SECURITY.md)
    assert.equal(w.rootWrite, isGvisor(runtime) ? 'EACCES' : 'EROFS');
    for (const flag of isGvisor(runtime) ? ['noexec'] : ['noexec', 'nosuid', 'nodev']) assert.match(w.tmpMount, new RegExp(`\\b${flag}\\b`), `${flag} in ${w.tmpMount}`);
    assert.equal(w.capEff, '0000000000000000');
  });

  for (const variant of ['seccomp-only', 'worker'] as const) {
    test(`${variant === 'worker' ? "the worker's exact spec" : "Palisade's seccomp profile alone (root, caps present)"}: every one of them is refused with EPERM`, () => {
      const r = out(variant);
      assert.deepEqual({ tcp: r.tcp, tcp6: r.tcp6, udp: r.udp, spawn: r.spawn }, { tcp: 'EPERM', tcp6: 'EPERM', udp: 'EPERM', spawn: 'EPERM' });
      assert.equal(r.seccomp, '2', 'a seccomp filter is installed');
      // gVisor's /proc/self/status has no NoNewPrivs line
      assert.equal(r.noNewPrivs, isGvisor(runtime) ? undefined : '1');
    });
  }
});
