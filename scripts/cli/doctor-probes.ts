/**
 * The doctor's live probes: start a real isolate host and run `echo`; reach the Docker
 * daemon and read its security options; read the kernel's seccomp support.
 */
import { readFileSync } from 'node:fs';
import Docker from 'dockerode';
import { BUILTIN_ACTIONS_DIR, readToolDir } from '../../sandbox/actions/load.ts';
import { imageTag } from '../../sandbox/docker/image.ts';
import { chooseRuntime, type DockerRuntimeSetting, type RegisteredRuntimes } from '../../sandbox/docker/runtime.ts';
import { createIsolateBackend } from '../../sandbox/isolate/backend.ts';
import { describeRouting, type SandboxMode, type ToolBackendPreference } from '../../sandbox/select-backend.ts';
import { DEFAULT_WORKER_LIMITS } from '../../sandbox/limits.ts';
import type { Check } from './doctor-checks.ts';

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms / 1000} s`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

export async function probeIsolate(): Promise<Check> {
  const fix = 'run "npm ci" (isolated-vm 7 needs its prebuilt binary and Node 24); see the isolate log lines above';
  const started = performance.now();
  const lines: string[] = [];
  const backend = createIsolateBackend({ children: 1, log: (l) => lines.push(l) });
  try {
    await withTimeout(backend.start(), 30_000, 'the isolate host');
    const r = await withTimeout(backend.run(
      { callId: 'doctor', tool: 'echo', handler: 'return { text: args.text };', args: { text: 'palisade-doctor' } },
      DEFAULT_WORKER_LIMITS,
    ), 30_000, 'the echo call');
    const ms = Math.round(performance.now() - started);
    if (r.ok && typeof r.value === 'object' && r.value !== null && !Array.isArray(r.value) && r.value['text'] === 'palisade-doctor') {
      return { name: 'isolate', status: 'ok', detail: `isolate host started and ran echo (${ms} ms)` };
    }
    const why = r.ok ? 'echo returned the wrong value' : `${r.code}: ${r.message}`;
    return { name: 'isolate', status: 'fail', detail: `${why}${lines.length > 0 ? ` [${lines.slice(-2).join(' | ')}]` : ''}`, fix };
  } catch (error) {
    return { name: 'isolate', status: 'fail', detail: `${(error as Error).message}${lines.length > 0 ? ` [${lines.slice(-2).join(' | ')}]` : ''}`, fix };
  } finally {
    await backend.close();
  }
}

/** `Seccomp:` in /proc/self/status means the kernel was built with seccomp. */
export function kernelSeccomp(): boolean | null {
  try {
    return /^Seccomp:\s*\d/m.test(readFileSync('/proc/self/status', 'utf8'));
  } catch {
    return null;
  }
}

export interface DockerProbe {
  readonly reachable: boolean;
  readonly detail: string;
  readonly securityOptions: readonly string[];
  /** runtimes the daemon registers, with their runtimeArgs (issue 20) */
  readonly runtimes?: RegisteredRuntimes;
}

export async function probeDocker(): Promise<DockerProbe> {
  const docker = new Docker();
  try {
    await withTimeout(docker.ping(), 5_000, 'the Docker daemon');
    const info: unknown = await withTimeout(docker.info(), 10_000, 'docker info');
    const rec = typeof info === 'object' && info !== null ? (info as Record<string, unknown>) : {};
    const opts = Array.isArray(rec['SecurityOptions']) ? rec['SecurityOptions'].filter((o): o is string => typeof o === 'string') : [];
    const version = typeof rec['ServerVersion'] === 'string' ? rec['ServerVersion'].slice(0, 40) : 'unknown';
    const runtimes: Record<string, readonly string[]> = {};
    const listed = typeof rec['Runtimes'] === 'object' && rec['Runtimes'] !== null ? (rec['Runtimes'] as Record<string, unknown>) : {};
    for (const [name, entry] of Object.entries(listed)) {
      const args = typeof entry === 'object' && entry !== null ? (entry as Record<string, unknown>)['runtimeArgs'] : undefined;
      runtimes[name] = Array.isArray(args) ? args.filter((a): a is string => typeof a === 'string') : [];
    }
    return { reachable: true, detail: `Docker daemon ${version} reachable`, securityOptions: opts, runtimes };
  } catch (error) {
    return { reachable: false, detail: (error as Error).message.slice(0, 200), securityOptions: [], runtimes: {} };
  }
}

/**
 * Which OCI runtime the Docker workers would get (PALISADE_DOCKER_RUNTIME against the daemon,
 * the same decision as the backend's): runsc (gVisor) ok; runc under auto a warning (the third
 * layer is missing); a configured runtime the daemon cannot give fails when Docker is required.
 */
export function runtimeCheck(setting: DockerRuntimeSetting, probe: DockerProbe, dockerRequired: boolean): Check {
  const fix = 'run scripts/ensure-docker.sh (installs runsc and registers it with --oci-seccomp --overlay2=none), or set PALISADE_DOCKER_RUNTIME=runc';
  const choice = chooseRuntime(setting, probe.runtimes ?? {});
  if (!choice.ok) return { name: 'runtime', status: dockerRequired ? 'fail' : 'warn', detail: choice.reason, fix };
  if (choice.runtime === 'runsc') return { name: 'runtime', status: 'ok', detail: `Docker workers run under runsc (gVisor): ${choice.reason}` };
  if (setting === 'runc') return { name: 'runtime', status: 'ok', detail: 'Docker workers run under runc (PALISADE_DOCKER_RUNTIME=runc; no gVisor layer)' };
  return { name: 'runtime', status: 'warn', detail: `Docker workers run under runc: ${choice.reason}`, fix };
}

export function dockerChecks(probe: DockerProbe, dockerRequired: boolean, kernel: boolean | null): Check[] {
  const needed = dockerRequired ? 'fail' : 'warn';
  if (!probe.reachable) {
    return [{
      name: 'docker', status: needed,
      detail: `Docker daemon not reachable (${probe.detail})${dockerRequired ? '' : '; docker-only tools will answer 503'}`,
      fix: 'start dockerd (e.g. "sudo systemctl start docker") and let this user use /var/run/docker.sock, or set PALISADE_SANDBOX_BACKEND=isolate',
    }];
  }
  const seccomp = probe.securityOptions.some((o) => /(^|,)name=seccomp(,|$)/.test(o) || o === 'seccomp');
  const checks: Check[] = [{ name: 'docker', status: 'ok', detail: probe.detail }];
  if (seccomp && kernel !== false) {
    checks.push({ name: 'seccomp', status: 'ok', detail: `daemon SecurityOptions include seccomp${kernel === true ? '; kernel supports seccomp' : ''}` });
  } else {
    checks.push({
      name: 'seccomp', status: needed,
      detail: kernel === false ? 'the kernel has no seccomp support' : `the daemon does not report seccomp (SecurityOptions: ${probe.securityOptions.join(' ') || 'none'})`,
      fix: 'use a kernel with CONFIG_SECCOMP and a Docker engine built with seccomp (the worker profile cannot be applied otherwise)',
    });
  }
  return checks;
}

/**
 * Where each risk class's built-in tools would run with this mode and what was found (the same
 * line the gateway logs at start and shows in /health/ready), and whether the worker image exists.
 */
export async function routingCheck(mode: SandboxMode, probe: DockerProbe, isolateOk: boolean): Promise<Check> {
  const tools = readToolDir(BUILTIN_ACTIONS_DIR).map((t) => {
    const m = t.manifest as { risk?: unknown; backend?: unknown };
    return { risk: String(m.risk), backend: (typeof m.backend === 'string' ? m.backend : 'any') as ToolBackendPreference };
  });
  let image = '';
  if (probe.reachable && mode !== 'isolate') {
    try {
      const tag = imageTag();
      const present = await new Docker().getImage(tag).inspect().then(() => true, () => false);
      image = present ? `; worker image ${tag} present` : `; worker image ${tag} missing: built at the next start (about 5-15 s, logged)`;
    } catch (error) {
      image = `; worker image cannot be assembled (${(error as Error).message.slice(0, 120)})`;
    }
  }
  const docker = mode === 'isolate' ? undefined : { usable: probe.reachable, detail: probe.detail };
  const routing = describeRouting(mode, docker, isolateOk, tools);
  const degraded = mode === 'auto' && !probe.reachable;
  return {
    name: 'routing', status: degraded ? 'warn' : 'ok', detail: `${routing.line}${image}`,
    ...(degraded ? { fix: 'start Docker (scripts/ensure-docker.sh) so high-risk tools run in containers, or set PALISADE_SANDBOX_BACKEND=isolate to accept the isolate' } : {}),
  };
}
