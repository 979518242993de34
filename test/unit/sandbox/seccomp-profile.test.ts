import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

interface Arg { index: number; value: number; valueTwo?: number; op: string }
interface Rule { names: string[]; action: string; args?: Arg[]; errnoRet?: number }
interface Profile { defaultAction: string; architectures: string[]; syscalls: Rule[] }

const profile = JSON.parse(readFileSync(new URL('../../../sandbox/docker/seccomp-worker.json', import.meta.url), 'utf8')) as Profile;
const allowRules = profile.syscalls.filter((rule) => rule.action === 'SCMP_ACT_ALLOW');
const unconditional = new Set(allowRules.filter((rule) => (rule.args ?? []).length === 0).flatMap((rule) => rule.names));
const anyAllow = new Set(allowRules.flatMap((rule) => rule.names));
const rulesFor = (name: string): Rule[] => allowRules.filter((rule) => rule.names.includes(name));

const CLONE_THREAD = 0x10000;
const NAMESPACE_FLAGS = [0x20000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000];

/** evaluates one arg condition the way the kernel filter does, for a given argument value */
function passes(arg: Arg, value: number): boolean {
  switch (arg.op) {
    case 'SCMP_CMP_EQ':
      return value === arg.value;
    case 'SCMP_CMP_MASKED_EQ':
      return (BigInt(value) & BigInt(arg.value)) === BigInt(arg.valueTwo ?? 0);
    default:
      throw new Error(`unexpected op ${arg.op}`);
  }
}
const allowedWith = (name: string, arg0: number): boolean =>
  rulesFor(name).some((rule) => (rule.args ?? []).every((arg) => arg.index !== 0 || passes(arg, arg0)));

test('denies by default with an errno and only knows the x86_64 ABI (no x86, no x32)', () => {
  assert.equal(profile.defaultAction, 'SCMP_ACT_ERRNO');
  assert.deepEqual(profile.architectures, ['SCMP_ARCH_X86_64']);
});

test('allows none of the forbidden syscalls, under any argument', () => {
  const forbidden = [
    'fork', 'vfork', 'clone3', 'io_uring_setup', 'io_uring_enter', 'io_uring_register', 'ptrace', 'process_vm_readv',
    'process_vm_writev', 'mount', 'umount2', 'pivot_root', 'unshare', 'setns', 'bpf', 'perf_event_open', 'userfaultfd',
    'keyctl', 'add_key', 'request_key', 'open_by_handle_at', 'name_to_handle_at', 'memfd_create', 'execveat', 'kexec_load',
    'kexec_file_load', 'reboot', 'init_module', 'finit_module', 'delete_module', 'chroot', 'swapon', 'acct', 'move_mount',
    'fsopen', 'fsmount', 'open_tree', 'pidfd_getfd', 'process_madvise', 'kcmp', 'lookup_dcookie', 'iopl', 'ioperm',
  ];
  for (const name of forbidden) assert.ok(!anyAllow.has(name), `${name} must not be allowed`);
});

test('answers clone3 with ENOSYS so glibc falls back to the filtered clone', () => {
  const rule = profile.syscalls.find((r) => r.names.includes('clone3'));
  assert.equal(rule?.action, 'SCMP_ACT_ERRNO');
  assert.equal(rule?.errnoRet, 38);
});

test('restricts socket and socketpair to AF_UNIX', () => {
  for (const name of ['socket', 'socketpair']) {
    assert.ok(!unconditional.has(name));
    assert.equal(allowedWith(name, 1), true, 'AF_UNIX');
    for (const family of [2, 10, 16, 17, 40, 38]) assert.equal(allowedWith(name, family), false, `family ${family}`);
  }
});

test('allows clone only for threads (CLONE_THREAD set) and never with namespace flags', () => {
  assert.ok(!unconditional.has('clone'));
  const glibcThread = 0x3d0f00; // CLONE_VM|FS|FILES|SIGHAND|THREAD|SYSVSEM|SETTLS|PARENT_SETTID|CHILD_CLEARTID
  assert.equal(allowedWith('clone', glibcThread), true);
  assert.equal(allowedWith('clone', 17), false, 'fork-style clone(SIGCHLD)');
  assert.equal(allowedWith('clone', 0x4111), false, 'vfork-style clone');
  for (const flag of NAMESPACE_FLAGS) assert.equal(allowedWith('clone', glibcThread | flag), false, `flag 0x${flag.toString(16)}`);
  assert.equal(allowedWith('clone', CLONE_THREAD), true);
});

test('allows personality only for the default persona or a query', () => {
  assert.ok(!unconditional.has('personality'));
  assert.equal(allowedWith('personality', 0), true);
  assert.equal(allowedWith('personality', 0xffffffff), true);
  assert.equal(allowedWith('personality', 0x0040000), false, 'ADDR_NO_RANDOMIZE');
  assert.equal(allowedWith('personality', 0x0008), false);
});

test('every rule is well formed (names, known action, args on arg 0 only)', () => {
  for (const rule of profile.syscalls) {
    assert.ok(rule.names.length > 0);
    assert.ok(['SCMP_ACT_ALLOW', 'SCMP_ACT_ERRNO'].includes(rule.action));
    for (const arg of rule.args ?? []) assert.equal(arg.index, 0);
  }
});
