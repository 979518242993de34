/**
 * Which OCI runtime runs the Docker workers (issue 20): `runc` (the host kernel behind seccomp)
 * or `runsc` (gVisor: a user-space kernel, the Sentry, between the worker and the host kernel).
 *
 * PALISADE_DOCKER_RUNTIME = runc | runsc | auto (default auto: runsc when the daemon lists it,
 * else runc). Pure decisions here; the daemon query is one thin adapter (`daemonRuntimes`).
 * A tool manifest may only ask for a runtime at least as strong as the configured one.
 */
import type Docker from 'dockerode';

export type DockerRuntime = 'runc' | 'runsc';
export type DockerRuntimeSetting = DockerRuntime | 'auto';

export const DOCKER_RUNTIMES: readonly DockerRuntime[] = Object.freeze(['runc', 'runsc']);
const SETTINGS: readonly string[] = ['runc', 'runsc', 'auto'];

/** isolation strength: a higher number is a stronger runtime */
const STRENGTH: Readonly<Record<DockerRuntime, number>> = Object.freeze({ runc: 1, runsc: 2 });

export type RuntimeSettingResult =
  | { readonly ok: true; readonly setting: DockerRuntimeSetting }
  | { readonly ok: false; readonly code: 'CONFIG_ERR_DOCKER_RUNTIME'; readonly problem: string };

/** PALISADE_DOCKER_RUNTIME (undefined or empty: auto). Exact lower-case names only. */
export function parseRuntimeSetting(raw: string | undefined): RuntimeSettingResult {
  if (raw === undefined || raw === '') return { ok: true, setting: 'auto' };
  if (SETTINGS.includes(raw)) return { ok: true, setting: raw as DockerRuntimeSetting };
  return {
    ok: false,
    code: 'CONFIG_ERR_DOCKER_RUNTIME',
    problem: `PALISADE_DOCKER_RUNTIME: must be runc, runsc or auto (got ${JSON.stringify(raw.slice(0, 40))})`,
  };
}

export type RuntimeChoice =
  | { readonly ok: true; readonly runtime: DockerRuntime; readonly reason: string }
  | { readonly ok: false; readonly code: 'SBX_ERR_UNAVAILABLE'; readonly reason: string };

/** runtime name → its runtimeArgs, as `docker info` lists them */
export type RegisteredRuntimes = Readonly<Record<string, readonly string[]>>;

/**
 * runtimeArgs runsc must be registered with (scripts/lib/daemon-json-runsc.py): without
 * `--oci-seccomp` runsc ignores the container's seccomp profile (checked by hand: fork()
 * succeeded in a runsc worker); without `--overlay2=none` this runsc wraps the read-only root in
 * a writable in-memory overlay (a write to /evil succeeded).
 */
export const RUNSC_REQUIRED_ARGS: readonly string[] = Object.freeze(['--oci-seccomp', '--overlay2=none']);

/**
 * The runtime the workers get, from the setting and the runtimes the daemon lists. runsc
 * counts only when registered with RUNSC_REQUIRED_ARGS, else it would trade one layer's
 * guarantees for another's. `runsc` configured but not usable is refused (never a silent runc).
 */
export function chooseRuntime(setting: DockerRuntimeSetting, registered: RegisteredRuntimes): RuntimeChoice {
  const args = Object.hasOwn(registered, 'runsc') ? registered['runsc'] : undefined;
  const missing = args === undefined ? [] : RUNSC_REQUIRED_ARGS.filter((a) => !args.includes(a));
  const problem = args === undefined
    ? 'the Docker daemon has no runsc runtime registered'
    : missing.length === 0 ? undefined : `the daemon registers runsc without ${missing.join(' ')} (no seccomp profile / a writable root inside gVisor)`;
  if (setting === 'runc') return { ok: true, runtime: 'runc', reason: 'PALISADE_DOCKER_RUNTIME=runc' };
  if (setting === 'runsc') {
    return problem === undefined
      ? { ok: true, runtime: 'runsc', reason: 'PALISADE_DOCKER_RUNTIME=runsc' }
      : { ok: false, code: 'SBX_ERR_UNAVAILABLE', reason: `PALISADE_DOCKER_RUNTIME=runsc but ${problem} (run scripts/ensure-docker.sh)` };
  }
  return problem === undefined
    ? { ok: true, runtime: 'runsc', reason: 'auto: the daemon lists runsc (gVisor)' }
    : { ok: true, runtime: 'runc', reason: `auto: ${problem}; using runc` };
}

export type ManifestRuntimeResult =
  | { readonly ok: true; readonly runtime: DockerRuntime | undefined }
  | { readonly ok: false; readonly code: 'TOOL_ERR_RUNTIME_WEAKER'; readonly problem: string };

/**
 * A manifest's `docker_runtime` against the configured setting: only towards the stronger
 * runtime. Asking for runc while runsc is configured is refused; with `auto` only runsc may be
 * asked for (auto may resolve to runsc, and a manifest must never be able to weaken it).
 */
export function manifestRuntime(requested: unknown, setting: DockerRuntimeSetting, label: string): ManifestRuntimeResult {
  if (requested === undefined) return { ok: true, runtime: undefined };
  if (requested !== 'runc' && requested !== 'runsc') {
    return { ok: false, code: 'TOOL_ERR_RUNTIME_WEAKER', problem: `${label}: /docker_runtime: must be "runc" or "runsc"` };
  }
  const floor: DockerRuntime = setting === 'auto' ? 'runsc' : setting;
  if (requested !== floor && !isStronger(requested, floor)) {
    return {
      ok: false,
      code: 'TOOL_ERR_RUNTIME_WEAKER',
      problem: `${label}: /docker_runtime: "${requested}" is weaker than PALISADE_DOCKER_RUNTIME=${setting}; a manifest may only ask for a stronger runtime`,
    };
  }
  return { ok: true, runtime: requested };
}

/**
 * Every manifest's `docker_runtime` checked at load: only towards the stronger runtime, and only
 * on a docker-only tool (elsewhere the job could run in the isolate, where it means nothing).
 */
export function toolRuntimeProblems(
  tools: ReadonlyArray<{ readonly name: string; readonly backend: string; readonly docker_runtime?: unknown }>,
  setting: DockerRuntimeSetting,
): string[] {
  const problems: string[] = [];
  for (const tool of tools) {
    if (tool.docker_runtime === undefined) continue;
    const label = `tool ${tool.name}`;
    if (tool.backend !== 'docker') problems.push(`${label}: /docker_runtime: needs "backend": "docker" (got ${JSON.stringify(tool.backend)})`);
    const r = manifestRuntime(tool.docker_runtime, setting, label);
    if (!r.ok) problems.push(r.problem);
  }
  return problems;
}

export function isStronger(a: DockerRuntime, b: DockerRuntime): boolean {
  return STRENGTH[a] > STRENGTH[b];
}

/** Runtimes the daemon has registered with their arguments (`docker info` → Runtimes). */
export async function daemonRuntimes(docker: Docker): Promise<RegisteredRuntimes> {
  const info = (await docker.info()) as { Runtimes?: Record<string, { runtimeArgs?: unknown } | null> };
  const out: Record<string, readonly string[]> = {};
  for (const [name, entry] of Object.entries(info.Runtimes ?? {})) {
    const args = entry?.runtimeArgs;
    out[name] = Array.isArray(args) ? args.filter((a): a is string => typeof a === 'string') : [];
  }
  return out;
}

/**
 * How the container's task cap (`pids`, the threads a worker may have) is enforced per runtime.
 * runc: the host pids cgroup counts the worker's own threads, PidsLimit = pids.
 * runsc: the host pids cgroup holds the whole sandbox: the Sentry's Go runtime threads and the
 * ptrace platform's tracer and stub threads besides the worker's. With PidsLimit = pids a thread
 * bomb (or a second process) filled it and the Sentry itself died ("runtime: failed to create
 * new OS thread ... fatal error: newosproc", a Go fatal error, exit status 2: the "worker exited
 * (code 2)" and "containerManager.WaitPID failed: EOF" of issues 15 and 20). So under runsc the
 * cap is RLIMIT_NPROC = pids, which the Sentry enforces on the sandbox's own tasks (its own user
 * namespace: not shared with the host's uid 65534, where an nproc limit would count every
 * container of that uid), and the host cgroup keeps a bound with room for the Sentry:
 * 2 × pids + RUNSC_SENTRY_TASKS (still finite, so a Sentry bug cannot fork the host out).
 */
export const RUNSC_SENTRY_TASKS = 64;

export interface TaskLimits {
  readonly pidsLimit: number;
  readonly nproc: number | undefined;
}

export function taskLimits(runtime: DockerRuntime, pids: number): TaskLimits {
  if (runtime === 'runsc') return { pidsLimit: 2 * pids + RUNSC_SENTRY_TASKS, nproc: pids };
  return { pidsLimit: pids, nproc: undefined };
}
