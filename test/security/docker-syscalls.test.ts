/**
 * Raw syscalls Node cannot issue, tried by a tiny static C probe (test/support/docker-probe.c)
 * built into a SEPARATE test-only image and run under the worker's exact container spec
 * (containerSpec + the same inline seccomp profile; only the image and command differ).
 *
 * Every refusal is shown against a control: the probe also runs with the hardening relaxed
 * (root, CONTROL_CAPS added, seccomp unconfined), where each operation must reach the kernel
 * (succeed, or fail with the kernel's own errno, never EPERM), and with only seccomp restored
 * (root, same caps, Palisade's profile), where it must be refused. The two differ only in the
 * seccomp profile, so the refusal is seccomp's, not a missing capability's. Kernel-dependent
 * cases (32-bit int 0x80, x32) are probed on the host first and the verdict is in the test name.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import Docker from 'dockerode';
import { buildProbeImage, compileProbe, runProbe, runProbeOnHost, type ProbeResult } from '../support/docker-probe.ts';
import { dockerSkipReason } from '../support/docker-env.ts';
import { DOCKER_TEST_RUNTIMES, isGvisor } from '../support/docker-runtimes.ts';

const EPERM = 1;
const ENOSYS = 38;
const SIGSYS_EXIT = 128 + 31;

function gccSkip(): string | undefined {
  try {
    execFileSync('gcc', ['--version'], { stdio: 'pipe' });
    return undefined;
  } catch {
    if (process.env['CI'] === 'true') throw new Error('CI=true but gcc is missing: cannot build the syscall probe');
    return 'gcc not installed: cannot build the static syscall probe';
  }
}

const skip = (await dockerSkipReason()) ?? gccSkip();

/** What a profile refusal looks like per probe (EPERM unless listed). */
const REFUSED: Record<string, number> = { clone3: ENOSYS };
const GROUPS: ReadonlyArray<{ title: string; names: readonly string[] }> = [
  { title: 'socket() for inet, inet6, netlink, packet, alg and vsock', names: ['socket_inet', 'socket_inet6', 'socket_netlink', 'socket_packet', 'socket_alg', 'socket_vsock', 'socketpair_inet'] },
  { title: 'fork, process-creating clone, clone with CLONE_NEWUSER and clone3 (ENOSYS)', names: ['fork', 'clone_process', 'clone_newuser', 'clone3'] },
  { title: 'ptrace, process_vm_readv, mount, umount2, pivot_root, chroot, unshare and setns', names: ['ptrace', 'process_vm_readv', 'mount', 'umount2', 'pivot_root', 'chroot', 'unshare_user', 'unshare_ns', 'setns'] },
  { title: 'bpf, perf_event_open, userfaultfd, keyctl, add_key, request_key, io_uring_setup and memfd_create', names: ['bpf', 'perf_event_open', 'userfaultfd', 'keyctl', 'add_key', 'request_key', 'io_uring_setup', 'memfd_create'] },
  { title: 'execveat, open_by_handle_at, name_to_handle_at, a non-default personality, kexec, reboot and module loading', names: ['execveat', 'open_by_handle_at', 'name_to_handle_at', 'personality_no_aslr', 'kexec_load', 'reboot', 'init_module'] },
];
/** In the control run these must succeed outright (others may fail with the kernel's own errno). */
const MUST_SUCCEED_IN_CONTROL = new Set([
  'socket_inet', 'socket_inet6', 'socket_netlink', 'socket_packet', 'fork', 'clone_process', 'clone_newuser', 'clone3', 'process_vm_readv', 'mount', 'umount2',
  'chroot', 'unshare_user', 'unshare_ns', 'userfaultfd', 'keyctl', 'add_key', 'request_key', 'memfd_create', 'personality_no_aslr',
]);

/**
 * Under runsc (gVisor) the control run answers with gVisor's Sentry, not the host kernel: it
 * does not implement packet sockets (EPERM even with NET_RAW), clone3, process_vm_readv, bpf,
 * userfaultfd (ENOSYS), keyrings (EACCES) or personality flags (EINVAL). Those cannot succeed in
 * its control run; two of them answer exactly the profile's errno there, so under runsc their
 * refusal is gVisor's own (a second layer) and their attribution to seccomp is the runc run's.
 */
const GVISOR_CANNOT = new Set(['socket_packet', 'clone3', 'process_vm_readv', 'userfaultfd', 'keyctl', 'add_key', 'request_key', 'personality_no_aslr']);
const GVISOR_REFUSES_ITSELF: Record<string, ProbeResult> = { socket_packet: { ret: -1, errno: EPERM }, clone3: { ret: -1, errno: ENOSYS } };

/* Kernel probes, outside any sandbox, before the tests are named. */
const compiled = skip === undefined ? compileProbe() : undefined;
const hostInt80 = compiled === undefined ? undefined : runProbeOnHost(compiled.binary, 'int80');
const hostX32 = compiled === undefined ? undefined : runProbeOnHost(compiled.binary, 'x32');
const kernelRuns32 = (hostInt80?.results.get('int80_getpid')?.ret ?? -1) > 0;
const x32Host = hostX32?.results.get('x32_getpid');
const kernelRunsX32 = (x32Host?.ret ?? -1) > 0;
const int80Title = kernelRuns32
  ? '32-bit (int 0x80) syscalls: this kernel runs them (getpid answered on the host and unconfined) → refused by seccomp with SIGSYS'
  : `32-bit (int 0x80) syscalls: not available on this kernel (host probe: ${hostInt80?.signal ?? `exit ${String(hostInt80?.exitCode)}`}, no IA-32 entry) → the sandboxed probe dies the same way, answers nothing`;
const x32Title = kernelRunsX32
  ? 'x32 syscalls: this kernel runs them (host and unconfined) → killed by seccomp with SIGSYS'
  : 'x32 syscalls: not built into this kernel (ENOSYS on the host and unconfined) → still killed by seccomp with SIGSYS before the kernel answers';

// issue 20: the same cases under each runtime the daemon has (runc, and runsc = gVisor with the
// profile applied inside the sandbox by --oci-seccomp; both in CI)
for (const runtime of DOCKER_TEST_RUNTIMES) describe(`[${runtime}] docker worker seccomp: raw syscalls from inside the container`, { skip, timeout: 300_000 }, () => {
  const docker = new Docker();
  let image = '';
  const runs: Record<'worker' | 'seccomp-only' | 'control', { results: Map<string, ProbeResult>; exitCode: number }> = {
    worker: { results: new Map(), exitCode: -1 },
    'seccomp-only': { results: new Map(), exitCode: -1 },
    control: { results: new Map(), exitCode: -1 },
  };

  before(async () => {
    image = await buildProbeImage(docker, compiled);
    for (const variant of ['worker', 'seccomp-only', 'control'] as const) runs[variant] = await runProbe(docker, image, 'all', variant, runtime);
  });
  after(() => compiled?.cleanup());

  const get = (variant: keyof typeof runs, name: string): ProbeResult => {
    const r = runs[variant].results.get(name);
    assert.ok(r !== undefined, `probe ${name} did not report in the ${variant} run`);
    return r;
  };
  const proveRefused = (name: string): void => {
    const expected = REFUSED[name] ?? EPERM;
    const control = get('control', name);
    const gvisor = isGvisor(runtime);
    if (gvisor && Object.hasOwn(GVISOR_REFUSES_ITSELF, name)) assert.deepEqual(control, GVISOR_REFUSES_ITSELF[name], `${name}: gVisor's own answer in the control run`);
    else if (MUST_SUCCEED_IN_CONTROL.has(name) && !(gvisor && GVISOR_CANNOT.has(name))) assert.ok(control.ret >= 0, `${name}: control run (seccomp unconfined, caps added) must succeed, got ${JSON.stringify(control)}`);
    else assert.ok(control.ret >= 0 || control.errno !== expected, `${name}: the control run also answers errno ${control.errno}, so the refusal below would not be seccomp's`);
    assert.deepEqual(get('seccomp-only', name), { ret: -1, errno: expected }, `${name}: refused by seccomp with the caps present`);
    assert.deepEqual(get('worker', name), { ret: -1, errno: expected }, `${name}: refused under the worker's exact spec`);
  };

  test('every run reached the end; AF_UNIX sockets and threads work in all three (the probe itself is sound)', () => {
    for (const variant of ['worker', 'seccomp-only', 'control'] as const) {
      assert.equal(runs[variant].exitCode, 0, `${variant} exit code`);
      assert.ok(get(variant, 'socket_unix').ret >= 0, `${variant} socket_unix`);
      assert.equal(get(variant, 'pthread_create').ret, 0, `${variant} pthread_create`);
      assert.ok(get(variant, 'getpid').ret > 0, `${variant} getpid`);
    }
  });

  for (const group of GROUPS) {
    test(`${group.title}: reach the kernel in the control run, refused by seccomp (caps present) and under the worker spec`, () => {
      for (const name of group.names) proveRefused(name);
    });
  }

  // int 0x80 under runsc (ptrace platform): the host never runs it. On a kernel with IA-32
  // emulation (this one: the host probe answers) the ptrace stop catches the entry and the Sentry
  // runs the number as a NATIVE x86_64 syscall with the x86_64 argument registers, under the same
  // profile as any native call; the probe sets both register sets apart, so each answer names its
  // table (see docker-probe.c). Without IA-32 the entry faults (SIGSEGV) as on the host.
  const sentryInt80 = isGvisor(runtime) && kernelRuns32;
  const int80Name = sentryInt80
    ? '32-bit (int 0x80) syscalls: no answer from the host kernel: gVisor runs each number as its x86_64 syscall (i386 getpid → writev EBADF, i386 time → rt_sigaction EINVAL, nr 39 → getpid), and the profile refuses nr 41 as socket(AF_INET) with EPERM'
    : isGvisor(runtime) ? '32-bit (int 0x80) syscalls: no IA-32 entry on this kernel → the sandboxed probe faults (SIGSEGV) in the control run and under the worker spec, answers nothing' : int80Title;
  test(int80Name, async () => {
    const control = await runProbe(docker, image, 'int80', 'control', runtime);
    const worker = await runProbe(docker, image, 'int80', 'worker', runtime);
    if (sentryInt80) {
      const host = hostInt80?.results;
      assert.ok((host?.get('int80_time')?.ret ?? -1) > 1_000_000_000 && host?.get('int80_nr39')?.errno === 14, 'host: the IA-32 table answers (time, mkdir EFAULT)');
      const seccompOnly = await runProbe(docker, image, 'int80', 'seccomp-only', runtime);
      for (const [variant, run] of [['control', control], ['seccomp-only', seccompOnly], ['worker', worker]] as const) {
        assert.equal(run.exitCode, 0, `${variant}: every int 0x80 returns`);
        assert.deepEqual(run.results.get('int80_getpid'), { ret: -1, errno: 9 }, `${variant}: i386 getpid ran as writev(-1), not as the host's getpid`);
        assert.deepEqual(run.results.get('int80_time'), { ret: -1, errno: 22 }, `${variant}: i386 time ran as rt_sigaction(-1), not as the host's time`);
        assert.ok((run.results.get('int80_nr39')?.ret ?? -1) > 0, `${variant}: nr 39 ran as getpid (the host's IA-32 mkdir would give EFAULT)`);
      }
      assert.ok((control.results.get('int80_nr41')?.ret ?? -1) >= 0, 'control: nr 41 ran as socket(AF_INET) and succeeded (IA-32 dup(-1) would give EBADF)');
      assert.deepEqual(seccompOnly.results.get('int80_nr41'), { ret: -1, errno: EPERM }, 'seccomp-only: the profile refuses it');
      assert.deepEqual(worker.results.get('int80_nr41'), { ret: -1, errno: EPERM }, 'worker: the profile refuses it');
      return;
    }
    assert.equal(worker.results.size, 0, 'a 32-bit syscall answered inside the sandbox');
    if (kernelRuns32) {
      assert.ok((control.results.get('int80_getpid')?.ret ?? -1) > 0, 'control: the kernel runs 32-bit syscalls, so unconfined getpid must answer');
      assert.equal(control.results.get('int80_nr39')?.errno, 14, 'control: the IA-32 table answered (mkdir EFAULT)');
      assert.equal(worker.exitCode, SIGSYS_EXIT);
    } else {
      assert.equal(hostInt80?.signal, 'SIGSEGV', 'host probe: a kernel without IA-32 entry faults on int 0x80');
      assert.equal(control.exitCode, 128 + 11, 'control (unconfined): the same fault, so seccomp is never consulted');
      assert.equal(control.results.size, 0);
      assert.ok(worker.exitCode === 128 + 11 || worker.exitCode === SIGSYS_EXIT, `worker exit ${worker.exitCode}`);
    }
  });

  // gVisor's OCI seccomp ignores `architectures` (native syscall numbers only): an x32 number
  // matches no allow rule and gets the default action, EPERM, instead of the SIGSYS kill that
  // libseccomp's architecture check gives under runc. Still refused, no answer; gVisor itself has
  // no x32 entry (ENOSYS in its control run).
  const x32Refusal = isGvisor(runtime) ? 'x32 syscalls: gVisor has none (ENOSYS unconfined) → refused with EPERM by the profile (gVisor ignores seccomp architectures, so no SIGSYS kill)' : x32Title;
  test(x32Refusal, async () => {
    const control = await runProbe(docker, image, 'x32', 'control', runtime);
    const answer = control.results.get('x32_getpid');
    if (kernelRunsX32 && !isGvisor(runtime)) assert.ok((answer?.ret ?? -1) > 0, 'control agrees with the host probe: x32 getpid answers');
    else assert.deepEqual(answer, { ret: -1, errno: ENOSYS }, 'control agrees with the host probe: ENOSYS');
    assert.equal(control.exitCode, 0, 'control: the x32 call returns (a result or ENOSYS), nothing is killed');
    const worker = await runProbe(docker, image, 'x32', 'worker', runtime);
    if (isGvisor(runtime)) {
      assert.equal(worker.exitCode, 0);
      assert.deepEqual(worker.results.get('x32_getpid'), { ret: -1, errno: EPERM }, 'refused by the profile inside gVisor');
      return;
    }
    assert.equal(worker.exitCode, SIGSYS_EXIT);
    assert.equal(worker.results.size, 0);
  });
});
