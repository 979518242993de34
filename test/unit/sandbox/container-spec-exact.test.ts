/**
 * The worker container's create options and the sandbox limits, asserted as ONE exact value:
 * any change to a restriction (a label, stdin wiring, hostname, IPC, ulimits, init, devices,
 * restart policy, a limit) must be a deliberate change of this test. Written to kill the mutants
 * `npm run mutate` found alive in sandbox/docker/container-config.ts and sandbox/limits.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { containerSpec, INSTANCE_LABEL, loadSeccompProfile, SUPERVISOR_PID_LABEL, WORKER_LABEL } from '../../../sandbox/docker/container-config.ts';
import { DEFAULT_DOCKER_QUOTAS } from '../../../sandbox/docker/quotas.ts';
import { DEFAULT_WORKER_LIMITS, KIB, LIMITS, MIB } from '../../../sandbox/limits.ts';

test('sandbox limits: the documented defaults (DESIGN.md §5), frozen', () => {
  assert.equal(KIB, 1024);
  assert.equal(MIB, 1024 * 1024);
  assert.deepEqual({ ...LIMITS }, {
    frameBytes: 262_144, outputBytes: 262_144, timeoutMsDefault: 5_000, timeoutMsMax: 60_000, isolateMemoryMb: 64,
    dockerMemory: '64m', dockerCpus: 0.5, dockerPids: 64, tmpfsBytes: 16_777_216,
  });
  assert.deepEqual({ ...DEFAULT_WORKER_LIMITS }, { timeoutMs: 5_000, memoryMb: 64, maxOutputBytes: 262_144 });
  assert.ok(Object.isFrozen(LIMITS) && Object.isFrozen(DEFAULT_WORKER_LIMITS));
});

test('containerSpec: the exact create options of a worker container', () => {
  assert.deepEqual([WORKER_LABEL, SUPERVISOR_PID_LABEL, INSTANCE_LABEL], ['palisade.worker', 'palisade.supervisor-pid', 'palisade.instance']);
  const seccomp = loadSeccompProfile();
  assert.equal(seccomp, JSON.stringify(JSON.parse(seccomp)), 'the profile is passed minified');
  assert.equal(JSON.parse(seccomp).defaultAction, 'SCMP_ACT_ERRNO');
  assert.deepEqual(containerSpec({ image: 'img:1', quotas: DEFAULT_DOCKER_QUOTAS, seccomp: '{"p":1}', instance: 'i-7' }), {
    Image: 'img:1',
    Cmd: ['--layer=isolate'],
    Env: ['MALLOC_MMAP_THRESHOLD_=131072'],
    Labels: { 'palisade.worker': '1', 'palisade.supervisor-pid': String(process.pid), 'palisade.instance': 'i-7' },
    AttachStdin: true, AttachStdout: true, AttachStderr: true, OpenStdin: true, StdinOnce: false, Tty: false,
    NetworkDisabled: true,
    Hostname: 'worker',
    WorkingDir: '/tmp',
    User: '65534:65534',
    HostConfig: {
      Runtime: 'runc',
      ReadonlyRootfs: true,
      Tmpfs: { '/tmp': 'rw,size=16m,noexec,nosuid,nodev,mode=1777' },
      NetworkMode: 'none',
      IpcMode: 'none',
      Memory: 64 * MIB, MemorySwap: 64 * MIB, NanoCpus: 500_000_000, PidsLimit: 64,
      CapDrop: ['ALL'], CapAdd: [], Privileged: false,
      SecurityOpt: ['no-new-privileges', 'seccomp={"p":1}'],
      Ulimits: [
        { Name: 'nofile', Soft: 256, Hard: 256 },
        { Name: 'fsize', Soft: 32 * MIB, Hard: 32 * MIB },
        { Name: 'core', Soft: 0, Hard: 0 },
      ],
      Init: false, Binds: [], Mounts: [], Devices: [],
      LogConfig: { Type: 'none', Config: {} },
      AutoRemove: false,
      RestartPolicy: { Name: 'no', MaximumRetryCount: 0 },
    },
  });
  assert.deepEqual(containerSpec({ image: 'img:1', quotas: DEFAULT_DOCKER_QUOTAS, seccomp: '{}', instance: 'i', layer: 'process' }).Cmd, ['--layer=process']);
});
