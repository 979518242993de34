/**
 * Builds the test-only syscall probe (test/support/docker-probe.c, gcc -static) into its own
 * FROM-scratch image and runs it under the exact container spec the worker backend uses
 * (same seccomp text, caps, user, read-only root, limits), with only the command changed.
 *
 * Three run variants, so a refusal can be attributed to the layer that made it:
 * - `worker`: the production spec exactly (uid 65534, no capabilities, Palisade's seccomp);
 * - `seccomp-only`: root with CONTROL_CAPS added and Palisade's seccomp;
 * - `control`: the same as `seccomp-only` but `seccomp=unconfined` (and AppArmor unconfined).
 * - `unhardened`: `control` plus a writable root filesystem and an exec-able /tmp (the control
 *   for the filesystem restrictions).
 * `control` and `seccomp-only` differ ONLY in the seccomp profile: an operation that the control
 * run reaches (success, or a kernel answer other than EPERM) and that `seccomp-only` answers with
 * EPERM was refused by seccomp, not by a missing capability.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import Docker from 'dockerode';
import { containerSpec, loadSeccompProfile } from '../../sandbox/docker/container-config.ts';
import { DockerDemuxer } from '../../sandbox/docker/demux.ts';
import { DEFAULT_DOCKER_QUOTAS } from '../../sandbox/docker/quotas.ts';
import type { DockerRuntime } from '../../sandbox/docker/runtime.ts';

export interface ProbeResult {
  readonly ret: number;
  readonly errno: number;
}

interface TarPack extends NodeJS.ReadableStream {
  entry(header: { name: string; size: number; mode: number }, body: Buffer): void;
  finalize(): void;
}
const tarStream = createRequire(import.meta.url)('tar-stream') as { pack(): TarPack };

const SOURCE = new URL('./docker-probe.c', import.meta.url);

export type ProbeMode = 'all' | 'x32' | 'int80';
export type ProbeVariant = 'worker' | 'seccomp-only' | 'control' | 'unhardened';

/**
 * Capabilities the control and seccomp-only runs add, so capability checks do not answer EPERM
 * before seccomp can: NET_RAW (AF_PACKET), SYS_ADMIN (mount, pivot_root, bpf, unshare),
 * SYS_PTRACE (userfaultfd without the sysctl), SYS_CHROOT, DAC_READ_SEARCH (open_by_handle_at),
 * SYS_BOOT (reboot, kexec_load), SYS_MODULE (init_module). The probe's arguments make each of
 * these fail inside the kernel's own checks (see docker-probe.c), so nothing leaves the container.
 */
export const CONTROL_CAPS = ['NET_RAW', 'SYS_ADMIN', 'SYS_PTRACE', 'SYS_CHROOT', 'DAC_READ_SEARCH', 'SYS_BOOT', 'SYS_MODULE'] as const;

/** Compiles the probe (gcc -static) to a temporary directory; `cleanup` removes it. */
export function compileProbe(): { binary: string; bytes: Buffer; cleanup(): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'palisade-probe-'));
  const binary = path.join(dir, 'probe');
  execFileSync('gcc', ['-static', '-O1', '-pthread', '-o', binary, SOURCE.pathname], { stdio: 'pipe' });
  return { binary, bytes: readFileSync(binary), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs the compiled probe directly on the host (no container, no seccomp): what the kernel itself does. */
export function runProbeOnHost(binary: string, mode: Exclude<ProbeMode, 'all'>): { results: Map<string, ProbeResult>; exitCode: number | null; signal: string | null } {
  const out = spawnSync(binary, [mode], { encoding: 'utf8', timeout: 10_000 });
  return { results: parseLines(out.stdout ?? ''), exitCode: out.status, signal: out.signal };
}

function parseLines(text: string): Map<string, ProbeResult> {
  const results = new Map<string, ProbeResult>();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const parsed = JSON.parse(line) as { probe: string; ret: number; errno: number };
    results.set(parsed.probe, { ret: parsed.ret, errno: parsed.errno });
  }
  return results;
}

export async function buildProbeImage(docker: Docker, compiled?: { bytes: Buffer }): Promise<string> {
  const own = compiled === undefined ? compileProbe() : undefined;
  try {
    const bytes = compiled?.bytes ?? own?.bytes ?? Buffer.alloc(0);
    const tag = `palisade-probe:${createHash('sha256').update(bytes).digest('hex').slice(0, 12)}`;
    const dockerfile = Buffer.from('FROM scratch\nCOPY probe /probe\nUSER 65534:65534\nENTRYPOINT ["/probe"]\n');
    const pack = tarStream.pack();
    pack.entry({ name: 'Dockerfile', size: dockerfile.length, mode: 0o644 }, dockerfile);
    pack.entry({ name: 'probe', size: bytes.length, mode: 0o555 }, bytes);
    pack.finalize();
    const stream = await docker.buildImage(pack, { t: tag, rm: true, forcerm: true });
    await new Promise<void>((resolve, reject) => docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve())));
    await docker.getImage(tag).inspect();
    return tag;
  } finally {
    own?.cleanup();
  }
}

/** Runs the probe image under the worker's container spec and returns each probe's outcome. */
export async function runProbe(docker: Docker, image: string, mode: ProbeMode = 'all', variant: ProbeVariant = 'worker', runtime: DockerRuntime = 'runc'): Promise<{ results: Map<string, ProbeResult>; exitCode: number }> {
  const run = await runInContainer(docker, { image, entrypoint: ['/probe'], cmd: mode === 'all' ? [] : [mode], variant, runtime });
  return { results: parseLines(run.stdout), exitCode: run.exitCode };
}

/** The worker's container spec for `image`, relaxed per variant (see the header), with only the command replaced. */
export function variantSpec(image: string, variant: ProbeVariant, runtime: DockerRuntime = 'runc'): Docker.ContainerCreateOptions {
  const spec = containerSpec({ image, quotas: DEFAULT_DOCKER_QUOTAS, seccomp: loadSeccompProfile(runtime), instance: 'probe', runtime });
  const host = spec.HostConfig ?? {};
  if (variant === 'worker') return spec;
  return {
    ...spec,
    User: '0:0',
    HostConfig: {
      ...host,
      CapAdd: [...CONTROL_CAPS],
      SecurityOpt: variant === 'seccomp-only' ? (host.SecurityOpt ?? []) : ['no-new-privileges', 'seccomp=unconfined', 'apparmor=unconfined'],
      ...(variant === 'unhardened' ? { ReadonlyRootfs: false, Tmpfs: { '/tmp': 'rw,exec,size=16m,mode=1777' } } : {}),
    },
  };
}

/** Runs one command in a container of `variant` and returns its stdout and exit code. */
export async function runInContainer(
  docker: Docker,
  o: { image: string; entrypoint: string[]; cmd: string[]; variant: ProbeVariant; runtime?: DockerRuntime },
): Promise<{ stdout: string; exitCode: number }> {
  const container = await docker.createContainer({ ...variantSpec(o.image, o.variant, o.runtime), Entrypoint: o.entrypoint, Cmd: o.cmd, OpenStdin: false, AttachStdin: false });
  try {
    const stream = (await container.attach({ stream: true, stdout: true, stderr: true, hijack: true })) as Duplex;
    const demux = new DockerDemuxer({ maxChunkBytes: 1 << 20, maxStderrBytes: 4096 });
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => {
      for (const event of demux.push(chunk)) if (event.kind === 'stdout') chunks.push(event.data);
    });
    const ended = new Promise<void>((resolve) => stream.on('end', resolve).on('close', resolve).on('error', () => resolve()));
    await container.start();
    const status = (await container.wait()) as { StatusCode: number };
    await Promise.race([ended, new Promise((resolve) => setTimeout(resolve, 2_000))]);
    return { stdout: Buffer.concat(chunks).toString('utf8'), exitCode: status.StatusCode };
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
}
