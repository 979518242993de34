/**
 * Issue 20's profile: what one warm call pays under runsc (gVisor) that it does not pay under
 * runc. A warm two-layer job is a few dozen syscalls in the worker (strace -c of the worker under
 * runc: scripts/profile-worker-syscalls.ts), about a fifth of them futex calls, i.e. hand-offs
 * between the worker's main thread and the isolate's thread. Two probes, in the worker image
 * and the worker's container spec (read-only root, network none, cap-drop ALL, uid 65534,
 * no-new-privileges, the worker seccomp profile in the runtime's form), under each runtime:
 *   - one cheap syscall (fstat of stdin, in a loop): under gVisor's ptrace platform every
 *     syscall stops the task and is served by the Sentry;
 *   - one thread wake-up round trip (Atomics.wait/notify between two threads: two futex waits
 *     and two wakes), the shape of the worker's main thread ↔ isolate thread hand-off.
 * The probe container has no CPU quota (NanoCpus 0) and no labels, so only the runtime's cost is
 * timed and no gateway's reaper counts it as a worker.
 */
import type Docker from 'dockerode';
import { containerSpec, loadSeccompProfile } from '../../sandbox/docker/container-config.ts';
import { DockerDemuxer } from '../../sandbox/docker/demux.ts';
import { NODE_PATH_IN_IMAGE } from '../../sandbox/docker/image.ts';
import { DEFAULT_DOCKER_QUOTAS } from '../../sandbox/docker/quotas.ts';
import type { DockerRuntime } from '../../sandbox/docker/runtime.ts';

const PROBE = `
const fs = require('node:fs');
const { Worker } = require('node:worker_threads');
const best = (f) => Math.min(f(), f(), f());
const syscallUs = best(() => { const n = 100000; const t = process.hrtime.bigint(); for (let i = 0; i < n; i++) fs.fstatSync(0); return Number(process.hrtime.bigint() - t) / 1e3 / n; });
const a = new Int32Array(new SharedArrayBuffer(8));
const w = new Worker("const a = new Int32Array(require('node:worker_threads').workerData); for (;;) { Atomics.wait(a, 0, 0); if (a[1] === 1) break; Atomics.store(a, 0, 0); Atomics.notify(a, 0); }", { eval: true, workerData: a.buffer });
setTimeout(() => {
  const wakeUs = best(() => { const n = 1000; const t = process.hrtime.bigint(); for (let i = 0; i < n; i++) { Atomics.store(a, 0, 1); Atomics.notify(a, 0); while (Atomics.wait(a, 0, 1) === 'ok' && a[0] === 1) {} } return Number(process.hrtime.bigint() - t) / 1e3 / n; });
  a[1] = 1; Atomics.store(a, 0, 1); Atomics.notify(a, 0);
  void w.terminate().then(() => process.stdout.write(JSON.stringify({ syscallUs, wakeUs }) + '\\n'));
}, 200);
`;

export interface RuntimeProbe { readonly syscallUs: number; readonly wakeUs: number }

export async function probeRuntime(docker: Docker, image: string, runtime: DockerRuntime): Promise<RuntimeProbe> {
  const base = containerSpec({ image, quotas: DEFAULT_DOCKER_QUOTAS, seccomp: loadSeccompProfile(runtime), instance: 'bench-probe', runtime });
  const container = await docker.createContainer({
    ...base, Labels: {}, OpenStdin: false, AttachStdin: false, StdinOnce: false,
    Entrypoint: [NODE_PATH_IN_IMAGE, '-e', PROBE], Cmd: [],
    HostConfig: { ...base.HostConfig, NanoCpus: 0 },
  });
  try {
    // the worker spec has no log driver: the output is read from the attach stream
    const stream = (await container.attach({ stream: true, stdout: true, stderr: true })) as NodeJS.ReadableStream;
    // the attach stream is multiplexed: the worker's own demuxer splits stdout from stderr
    const demux = new DockerDemuxer({ maxChunkBytes: 64 * 1024, maxStderrBytes: 4 * 1024 });
    const out: Buffer[] = [];
    stream.on('data', (c: Buffer) => {
      for (const e of demux.push(c)) if (e.kind === 'stdout') out.push(e.data);
    });
    const ended = new Promise<void>((r) => { stream.once('end', () => r()); stream.once('close', () => r()); });
    await container.start();
    const done = (await container.wait()) as { StatusCode?: number };
    await Promise.race([ended, new Promise((r) => setTimeout(r, 2_000))]);
    const line = Buffer.concat(out).toString('utf8').trim().split('\n').pop() ?? '';
    if (done.StatusCode !== 0 || line === '') throw new Error(`${runtime} probe exited ${String(done.StatusCode)}: ${demux.stderr.slice(-300)}`);
    const parsed = JSON.parse(line) as RuntimeProbe;
    return { syscallUs: parsed.syscallUs, wakeUs: parsed.wakeUs };
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
}

/** The profile lines: each probe under runc and runsc with the ratio. */
export function formatProbes(runc: RuntimeProbe, runsc: RuntimeProbe, runscArgs: readonly string[]): string[] {
  const platform = runscArgs.find((a) => a.startsWith('--platform=')) ?? '--platform (runsc default)';
  const row = (what: string, a: number, b: number): string => `docker runtime profile: ${what}: runc ${a.toFixed(2)} µs, runsc ${b.toFixed(2)} µs → ${(b / a).toFixed(1)}× (${platform})`;
  return [row('one syscall (fstat)', runc.syscallUs, runsc.syscallUs), row('one thread wake-up round trip (futex)', runc.wakeUs, runsc.wakeUs)];
}
