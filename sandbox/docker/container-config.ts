/**
 * The container settings for a worker (dockerode create options). Pure: the same inputs give
 * the same options, so a unit test can check every restriction without a daemon.
 *
 * Deviation from "Init: true": docker-init (tini) has to fork() to start node, and the seccomp
 * profile forbids fork (clone without CLONE_THREAD). Node runs as PID 1 instead; since it cannot
 * create processes there are no zombies to reap, and the supervisor stops containers with SIGKILL.
 */
import { readFileSync } from 'node:fs';
import type Docker from 'dockerode';
import { LIMITS, MIB } from '../limits.ts';
import type { DockerQuotas } from './quotas.ts';
import { taskLimits, type DockerRuntime } from './runtime.ts';

export const WORKER_LABEL = 'palisade.worker';
export const SUPERVISOR_PID_LABEL = 'palisade.supervisor-pid';
export const INSTANCE_LABEL = 'palisade.instance';

const SECCOMP_URL = new URL('./seccomp-worker.json', import.meta.url);

interface SeccompRule {
  names: string[];
  action: string;
  errnoRet?: number;
  [key: string]: unknown;
}

/**
 * The profile's JSON text, minified (Docker's API takes the text, not a path).
 *
 * Under runsc (gVisor, registered with `--oci-seccomp`) the Sentry applies the same profile to
 * the worker's syscalls inside the sandbox, but gVisor's OCI conversion ignores `errnoRet`: every
 * SCMP_ACT_ERRNO answers EPERM. The one rule that depends on its errno is clone3 → ENOSYS (glibc
 * only falls back to the filtered clone on ENOSYS; with EPERM pthread_create fails and Node
 * cannot start). For runsc that rule becomes SCMP_ACT_TRACE: with no tracer attached (ptrace is
 * refused and no process can be created) both Linux and gVisor answer a TRACE verdict with
 * ENOSYS, so clone3 is still refused by the filter, with the same errno as under runc
 * (test/security/docker-syscalls.test.ts proves it under both runtimes). Nothing else changes.
 */
export function loadSeccompProfile(runtime: DockerRuntime = 'runc'): string {
  const profile = JSON.parse(readFileSync(SECCOMP_URL, 'utf8')) as { syscalls: SeccompRule[] };
  if (runtime === 'runsc') profile.syscalls = profile.syscalls.map(runscRule);
  return JSON.stringify(profile);
}

function runscRule(rule: SeccompRule): SeccompRule {
  if (rule.action !== 'SCMP_ACT_ERRNO' || rule.errnoRet === undefined || rule.errnoRet === 1) return rule;
  if (rule.errnoRet !== 38) throw new Error(`seccomp rule for ${rule.names.join(',')} needs errno ${rule.errnoRet}, which runsc cannot express`);
  const { errnoRet: _ignored, ...rest } = rule;
  return { ...rest, action: 'SCMP_ACT_TRACE', comment: 'runsc ignores errnoRet; TRACE without a tracer answers ENOSYS' };
}

export interface ContainerSpecInput {
  readonly image: string;
  readonly quotas: DockerQuotas;
  readonly seccomp: string;
  readonly instance: string;
  /**
   * 'isolate' (default): each job in a fresh isolated-vm isolate inside the container (two
   * layers, containers reused). 'process': the handler runs in plain Node, the container is the
   * only layer; the backend then keeps containers single-use.
   */
  readonly layer?: WorkerLayer;
  /** OCI runtime (HostConfig.Runtime): 'runc' (default) or 'runsc' (gVisor, runtime.ts) */
  readonly runtime?: DockerRuntime;
}

export type WorkerLayer = 'isolate' | 'process';

/**
 * The one environment entry a worker gets (never anything from the host). A fixed glibc mmap
 * threshold stops malloc from raising it dynamically after a large free, so the memory a
 * disposed job isolate held (e.g. a 10 MiB ArrayBuffer) goes back to the kernel at once instead
 * of staying in the heap arena and counting against the container's memory quota.
 */
export const WORKER_ENV: readonly string[] = Object.freeze(['MALLOC_MMAP_THRESHOLD_=131072']);

/**
 * The /tmp tmpfs options. Under runc: writable, 16 MiB, noexec (the kernel refuses exec and
 * mmap(PROT_EXEC) of its files, so native code dropped there cannot be loaded).
 *
 * Under runsc: read-only. gVisor refuses execve on a noexec mount but, before release-20250203.0
 * (upstream commit 191b53da2, "Fix EXEC permission of the volume mount when calling mmap with
 * PROT_EXEC"), its mmap() ignores the mount's noexec: the Debian runsc (release-20221219.0)
 * lets dlopen() map a library copied to /tmp. Since any writable mount inside this gVisor is
 * an exec path, the worker gets none: nothing in a worker needs /tmp (jobs run in isolates with
 * no filesystem; the worker only empties it), and an isolate escape then has nowhere to drop a
 * library. test/security/docker-hostile.test.ts proves both runtimes.
 */
export function tmpfsOptions(runtime: DockerRuntime): string {
  return `${runtime === 'runsc' ? 'ro' : 'rw'},size=${LIMITS.tmpfsBytes / MIB}m,noexec,nosuid,nodev,mode=1777`;
}

export function containerSpec(input: ContainerSpecInput): Docker.ContainerCreateOptions {
  const tasks = taskLimits(input.runtime ?? 'runc', input.quotas.pids);
  return {
    Image: input.image,
    Cmd: [`--layer=${input.layer ?? 'isolate'}`],
    Env: [...WORKER_ENV],
    Labels: { [WORKER_LABEL]: '1', [SUPERVISOR_PID_LABEL]: String(process.pid), [INSTANCE_LABEL]: input.instance },
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    OpenStdin: true,
    StdinOnce: false,
    Tty: false,
    NetworkDisabled: true,
    Hostname: 'worker',
    WorkingDir: '/tmp',
    User: '65534:65534',
    HostConfig: {
      Runtime: input.runtime ?? 'runc',
      ReadonlyRootfs: true,
      Tmpfs: { '/tmp': tmpfsOptions(input.runtime ?? 'runc') },
      NetworkMode: 'none',
      IpcMode: 'none',
      Memory: input.quotas.memoryBytes,
      MemorySwap: input.quotas.memoryBytes,
      NanoCpus: input.quotas.nanoCpus,
      PidsLimit: tasks.pidsLimit,
      CapDrop: ['ALL'],
      CapAdd: [],
      Privileged: false,
      SecurityOpt: ['no-new-privileges', `seccomp=${input.seccomp}`],
      Ulimits: [
        { Name: 'nofile', Soft: 256, Hard: 256 },
        { Name: 'fsize', Soft: 2 * LIMITS.tmpfsBytes, Hard: 2 * LIMITS.tmpfsBytes },
        { Name: 'core', Soft: 0, Hard: 0 },
        ...(tasks.nproc === undefined ? [] : [{ Name: 'nproc', Soft: tasks.nproc, Hard: tasks.nproc }]),
      ],
      Init: false,
      Binds: [],
      Mounts: [],
      Devices: [],
      LogConfig: { Type: 'none', Config: {} },
      AutoRemove: false,
      RestartPolicy: { Name: 'no', MaximumRetryCount: 0 },
    },
  };
}
