/**
 * Builds the test-only syscall probe (test/support/docker-probe.c, gcc -static) into its own
 * FROM-scratch image and runs it under the exact container spec the worker backend uses
 * (same seccomp text, caps, user, read-only root, limits), with only the command changed.
 */
import { execFileSync } from 'node:child_process';
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

export async function buildProbeImage(docker: Docker): Promise<string> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'palisade-probe-'));
  try {
    const binary = path.join(dir, 'probe');
    execFileSync('gcc', ['-static', '-O1', '-pthread', '-o', binary, SOURCE.pathname], { stdio: 'pipe' });
    const bytes = readFileSync(binary);
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
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs the probe image under the worker's container spec and returns each probe's outcome. */
export async function runProbe(docker: Docker, image: string, mode: 'all' | 'x32' | 'int80' = 'all'): Promise<{ results: Map<string, ProbeResult>; exitCode: number }> {
  const spec = containerSpec({ image, quotas: DEFAULT_DOCKER_QUOTAS, seccomp: loadSeccompProfile(), instance: 'probe' });
  const container = await docker.createContainer({ ...spec, Entrypoint: ['/probe'], Cmd: mode === 'all' ? [] : [mode], OpenStdin: false, AttachStdin: false });
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
    const results = new Map<string, ProbeResult>();
    for (const line of Buffer.concat(chunks).toString('utf8').split('\n')) {
      if (line.trim() === '') continue;
      const parsed = JSON.parse(line) as { probe: string; ret: number; errno: number };
      results.set(parsed.probe, { ret: parsed.ret, errno: parsed.errno });
    }
    return { results, exitCode: status.StatusCode };
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
}
