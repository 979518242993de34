/**
 * Raw syscalls Node cannot issue, tried by a tiny static C probe (test/support/docker-probe.c)
 * built into a SEPARATE test-only image and run under the worker's exact container spec
 * (containerSpec + the same inline seccomp profile; only the image and command differ).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { before, describe, test } from 'node:test';
import Docker from 'dockerode';
import { buildProbeImage, runProbe, type ProbeResult } from '../support/docker-probe.ts';
import { dockerSkipReason } from '../support/docker-env.ts';

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

describe('docker worker seccomp: raw syscalls from inside the container', { skip, timeout: 300_000 }, () => {
  const docker = new Docker();
  let image = '';
  let results = new Map<string, ProbeResult>();
  let exitCode = -1;

  before(async () => {
    image = await buildProbeImage(docker);
    ({ results, exitCode } = await runProbe(docker, image));
  });

  const refused = (name: string, errno = EPERM): void => {
    const r = results.get(name);
    assert.ok(r !== undefined, `probe ${name} did not report`);
    assert.deepEqual(r, { ret: -1, errno }, name);
  };

  test('the probe ran to the end, AF_UNIX sockets and threads still work (control)', () => {
    assert.equal(exitCode, 0);
    assert.ok((results.get('socket_unix')?.ret ?? -1) >= 0);
    assert.equal(results.get('pthread_create')?.ret, 0);
  });

  test('socket() for inet, inet6, netlink, packet, alg and vsock is refused with EPERM', () => {
    for (const name of ['socket_inet', 'socket_inet6', 'socket_netlink', 'socket_packet', 'socket_alg', 'socket_vsock', 'socketpair_inet']) refused(name);
  });

  test('fork, process-creating clone and clone with CLONE_NEWUSER are refused; clone3 answers ENOSYS', () => {
    for (const name of ['fork', 'clone_process', 'clone_newuser']) refused(name);
    refused('clone3', ENOSYS);
  });

  test('ptrace, process_vm_readv, mount, umount2, pivot_root, chroot, unshare and setns are refused', () => {
    for (const name of ['ptrace', 'process_vm_readv', 'mount', 'umount2', 'pivot_root', 'chroot', 'unshare_user', 'unshare_ns', 'setns']) refused(name);
  });

  test('bpf, perf_event_open, userfaultfd, keyctl, add_key, request_key, io_uring_setup and memfd_create are refused', () => {
    for (const name of ['bpf', 'perf_event_open', 'userfaultfd', 'keyctl', 'add_key', 'request_key', 'io_uring_setup', 'memfd_create']) refused(name);
  });

  test('execveat, open_by_handle_at, name_to_handle_at, a non-default personality, kexec, reboot and module loading are refused', () => {
    for (const name of ['execveat', 'open_by_handle_at', 'name_to_handle_at', 'personality_no_aslr', 'kexec_load', 'reboot', 'init_module']) refused(name);
  });

  test('32-bit (int 0x80) and x32 syscalls kill the process with SIGSYS', async () => {
    const int80 = await runProbe(docker, image, 'int80');
    assert.equal(int80.exitCode, SIGSYS_EXIT);
    assert.equal(int80.results.size, 0);
    const x32 = await runProbe(docker, image, 'x32');
    assert.equal(x32.exitCode, SIGSYS_EXIT);
    assert.equal(x32.results.size, 0);
  });
});
