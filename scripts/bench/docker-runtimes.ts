/**
 * Issue 20: the Docker backend under runc and under runsc (gVisor) in the same run, at the
 * sandbox interface (no HTTP in front): container cold start (a `fresh: true` echo: create +
 * start + worker ready + call + remove), and warm sequential calls of echo and js.eval on the
 * two-layer pool (each job in a fresh isolate inside a reused container). The ratio runsc/runc
 * is printed per case; the target is ≤ 2× on warm calls. runsc is measured only when the daemon
 * has it registered as the backend requires (sandbox/docker/runtime.ts).
 */
import { readFileSync } from 'node:fs';
import Docker from 'dockerode';
import { createDockerBackend } from '../../sandbox/docker/backend.ts';
import { ensureWorkerImage } from '../../sandbox/docker/image.ts';
import { chooseRuntime, daemonRuntimes, type DockerRuntime } from '../../sandbox/docker/runtime.ts';
import type { JsonValue } from '../../sandbox/json.ts';
import { summarise } from './load.ts';
import { formatProbes, probeRuntime } from './runtime-probes.ts';
import type { Row } from './report.ts';

const LIMITS = { timeoutMs: 30_000, memoryMb: 64, maxOutputBytes: 256 * 1024 };
const ECHO = readFileSync(new URL('../../sandbox/actions/echo/handler.js', import.meta.url), 'utf8');
const EVAL = readFileSync(new URL('../../sandbox/actions/js.eval/handler.js', import.meta.url), 'utf8');
const CASES: ReadonlyArray<{ id: string; tool: string; handler: string; args: JsonValue }> = [
  { id: 'echo', tool: 'echo', handler: ECHO, args: { text: 'hello' } },
  { id: 'js.eval', tool: 'js.eval', handler: EVAL, args: { code: 'let s = 0; for (let i = 0; i < 1000; i++) s += i; return s;' } },
];

interface Measured { readonly p50Ms: number; readonly p99Ms: number; readonly meanMs: number; readonly n: number; readonly failures: number; readonly seconds: number }

async function timed(n: number, once: (i: number) => Promise<boolean>): Promise<Measured> {
  const samples: number[] = [];
  let failures = 0;
  const began = performance.now();
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    if (await once(i)) samples.push(performance.now() - t);
    else failures += 1;
  }
  return { ...summarise(samples), n, failures, seconds: (performance.now() - began) / 1000 };
}

async function measureRuntime(runtime: DockerRuntime, image: string, opts: { cold: number; warm: number }): Promise<Map<string, Measured>> {
  const out = new Map<string, Measured>();
  const backend = createDockerBackend({ enabled: true, image, poolSize: 1, runtime });
  await backend.start();
  try {
    if (backend.health().state !== 'healthy') throw new Error(`${runtime}: backend ${JSON.stringify(backend.health())}`);
    let seq = 0;
    const run = async (c: (typeof CASES)[number], fresh: boolean): Promise<boolean> => {
      seq += 1;
      const r = await backend.run({ callId: `bench-rt-${runtime}-${seq}`, tool: c.tool, handler: c.handler, args: c.args, ...(fresh ? { fresh: true } : {}) }, LIMITS);
      return r.ok;
    };
    out.set('cold', await timed(opts.cold, () => run(CASES[0]!, true)));
    for (const c of CASES) {
      for (let i = 0; i < 20; i++) await run(c, false); // warm-up
      out.set(c.id, await timed(opts.warm, () => run(c, false)));
    }
  } finally {
    await backend.close();
  }
  return out;
}

export interface RuntimeBench { readonly rows: Row[]; readonly lines: string[]; readonly skipped: string[] }

/** Rows `docker-<runc|runsc>-<cold|echo|js.eval>` and one ratio line per case. */
export async function dockerRuntimeRows(opts: { cold: number; warm: number } = { cold: 5, warm: 200 }): Promise<RuntimeBench> {
  const docker = new Docker();
  const image = await ensureWorkerImage(docker);
  if (!image.ok) return { rows: [], lines: [], skipped: [`docker runtimes: worker image: ${image.reason}`] };
  const registered = await daemonRuntimes(docker);
  const runsc = chooseRuntime('runsc', registered);
  const runtimes: DockerRuntime[] = runsc.ok ? ['runc', 'runsc'] : ['runc'];
  const skipped = runsc.ok ? [] : [`docker runsc rows: ${runsc.reason}`];
  const results = new Map<DockerRuntime, Map<string, Measured>>();
  for (const runtime of runtimes) results.set(runtime, await measureRuntime(runtime, image.tag, opts));
  const rows: Row[] = [];
  const labels: Record<string, string> = { cold: 'echo, cold fresh container', echo: 'echo, warm two-layer pool', 'js.eval': 'js.eval, warm two-layer pool' };
  for (const [runtime, cases] of results) {
    for (const [id, m] of cases) {
      rows.push({
        id: `docker-${runtime}-${id}`, label: `${labels[id] ?? id} (${runtime})`, target: 'sandbox', connections: 1,
        reqPerSec: (m.n - m.failures) / m.seconds, p50Ms: m.p50Ms, p99Ms: m.p99Ms, meanMs: m.meanMs, total: m.n - m.failures, unexpected: m.failures,
        rssBeforeMiB: Number.NaN, rssAfterMiB: Number.NaN,
        note: `sequential, backend interface, no HTTP; HostConfig.Runtime=${runtime}`,
      });
    }
  }
  const lines: string[] = [];
  const a = results.get('runc');
  const b = results.get('runsc');
  if (a !== undefined && b !== undefined) {
    for (const id of ['cold', 'echo', 'js.eval']) {
      const x = a.get(id);
      const y = b.get(id);
      if (x === undefined || y === undefined) continue;
      const ratio = y.p50Ms / x.p50Ms;
      const target = id === 'cold' ? '' : ` (target ≤ 2×: ${ratio <= 2 ? 'met' : 'MISSED'})`;
      lines.push(`docker ${labels[id]}: runc p50 ${x.p50Ms.toFixed(2)} ms, runsc p50 ${y.p50Ms.toFixed(2)} ms → runsc/runc ${ratio.toFixed(2)}×${target}`);
    }
    // what bounds the warm ratio: the per-syscall and per-wake-up cost of each runtime
    const probed = await (async () => [await probeRuntime(docker, image.tag, 'runc'), await probeRuntime(docker, image.tag, 'runsc')] as const)().catch((e: Error) => e);
    if (probed instanceof Error) skipped.push(`docker runtime profile: ${probed.message}`);
    else lines.push(...formatProbes(probed[0], probed[1], registered['runsc'] ?? []));
  }
  return { rows, lines, skipped };
}

if (import.meta.main) {
  const result = await dockerRuntimeRows();
  for (const r of result.rows) console.log(`${r.id.padEnd(24)} p50 ${r.p50Ms.toFixed(2)} ms  p99 ${r.p99Ms.toFixed(2)} ms  mean ${r.meanMs.toFixed(2)} ms  ${r.reqPerSec.toFixed(1)} req/s  (${r.total} ok, ${r.unexpected} failed)`);
  for (const l of [...result.lines, ...result.skipped]) console.log(l);
}
