/**
 * The cold Docker case: N sequential echo jobs each in a brand-new container (the backend's
 * `fresh: true`: create + start + worker ready + call + remove), measured at the sandbox
 * interface in this process — no HTTP in front, so it is the container cost alone.
 */
import Docker from 'dockerode';
import { createDockerBackend } from '../../sandbox/docker/backend.ts';
import { ensureWorkerImage } from '../../sandbox/docker/image.ts';
import { summarise } from './load.ts';

export interface ColdResult {
  readonly n: number;
  readonly reqPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly meanMs: number;
  readonly failures: number;
}

export async function dockerReachable(): Promise<boolean> {
  const docker = new Docker();
  const timeout = new Promise<false>((resolve) => setTimeout(() => resolve(false), 5_000).unref());
  return Promise.race([docker.ping().then(() => true, () => false), timeout]);
}

export async function runCold(n: number): Promise<ColdResult> {
  const docker = new Docker();
  const image = await ensureWorkerImage(docker);
  if (!image.ok) throw new Error(`worker image: ${image.reason}`);
  const backend = createDockerBackend({ enabled: true, docker, image: image.tag, poolSize: 1 });
  await backend.start();
  const samples: number[] = [];
  let failures = 0;
  const started = performance.now();
  try {
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      const r = await backend.run(
        { callId: `bench-cold-${i}`, tool: 'echo', handler: 'return { text: args.text };', args: { text: 'hello' }, fresh: true },
        { timeoutMs: 30_000, memoryMb: 64, maxOutputBytes: 256 * 1024 },
      );
      if (r.ok) samples.push(performance.now() - t);
      else failures += 1;
    }
  } finally {
    await backend.close();
  }
  const seconds = (performance.now() - started) / 1000;
  return { n, reqPerSec: samples.length / seconds, failures, ...summarise(samples) };
}
