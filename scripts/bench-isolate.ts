/**
 * Isolate sandbox benchmark (no HTTP). Run:
 *   node_modules/.bin/node --no-node-snapshot scripts/bench-isolate.ts [--calls=500]
 * Prints: child start-to-ready, raw isolate+context creation, warm and cold echo latency
 * (p50/p99), and echo calls/s with N calls in flight. Figures depend on the machine and load.
 */
import { createRequire } from 'node:module';
import { BUILTIN_ACTIONS_DIR, readToolDir } from '../sandbox/actions/load.ts';
import { createIsolateBackend, type IsolateBackendOptions } from '../sandbox/isolate/backend.ts';
import { DEFAULT_WORKER_LIMITS } from '../sandbox/limits.ts';
import type { WorkerBackend } from '../sandbox/worker-backend.ts';

const callsArg = process.argv.find((a) => a.startsWith('--calls='));
const CALLS = callsArg === undefined ? 500 : Math.max(10, Number(callsArg.slice('--calls='.length)) || 500);
const echo = readToolDir(BUILTIN_ACTIONS_DIR).find((t) => (t.manifest as { name: string }).name === 'echo');
if (echo === undefined) throw new Error('echo action not found');
const echoJob = { callId: 'bench', tool: 'echo', handler: echo.handler, args: { text: 'hello' } };

const rows: Array<[string, string]> = [];
const ms = (n: number): string => `${n.toFixed(2)} ms`;
function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function withBackend<T>(options: IsolateBackendOptions, fn: (b: WorkerBackend) => Promise<T>): Promise<T> {
  const backend = createIsolateBackend(options);
  await backend.start();
  try {
    return await fn(backend);
  } finally {
    await backend.close();
  }
}

async function latency(backend: WorkerBackend, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const r = await backend.run(echoJob, DEFAULT_WORKER_LIMITS);
    if (!r.ok) throw new Error(`echo failed: ${r.code}`);
    out.push(performance.now() - t);
  }
  return out.sort((a, b) => a - b);
}

// 1. child process start until ready
const starts: number[] = [];
for (let i = 0; i < 5; i++) {
  const t = performance.now();
  await withBackend({}, async () => undefined);
  starts.push(performance.now() - t);
}
starts.sort((a, b) => a - b);
rows.push(['child start → ready (+close), median of 5', ms(percentile(starts, 50))]);

// 2. raw isolate + context creation in this process (needs --no-node-snapshot)
if (process.execArgv.includes('--no-node-snapshot')) {
  const ivm = createRequire(import.meta.url)('isolated-vm') as typeof import('isolated-vm');
  const times: number[] = [];
  for (let i = 0; i < 50; i++) {
    const t = performance.now();
    const isolate = new ivm.Isolate({ memoryLimit: 64 });
    const context = await isolate.createContext();
    times.push(performance.now() - t);
    context.release();
    isolate.dispose();
  }
  times.sort((a, b) => a - b);
  rows.push(['cold isolate + context creation p50 / p99', `${ms(percentile(times, 50))} / ${ms(percentile(times, 99))}`]);
} else {
  rows.push(['cold isolate + context creation', 'skipped (run with --no-node-snapshot)']);
}

// 3. warm echo latency (pooled isolate, fresh context per call)
await withBackend({}, async (backend) => {
  await latency(backend, 50);
  const l = await latency(backend, CALLS);
  rows.push([`warm echo call p50 / p99 (${CALLS} sequential)`, `${ms(percentile(l, 50))} / ${ms(percentile(l, 99))}`]);
});

// 4. cold echo latency: no warm pool, every isolate used once
await withBackend({ poolSize: 0, maxCallsPerIsolate: 1 }, async (backend) => {
  const l = await latency(backend, Math.min(CALLS, 200));
  rows.push(['cold echo call (new isolate each) p50 / p99', `${ms(percentile(l, 50))} / ${ms(percentile(l, 99))}`]);
});

// 5. throughput with N in flight
for (const [children, inFlight] of [[1, 1], [1, 4], [2, 4], [2, 16]] as const) {
  await withBackend({ children, queueLimit: 1024 }, async (backend) => {
    await latency(backend, 20);
    let done = 0;
    const t = performance.now();
    const worker = async (): Promise<void> => {
      while (done < CALLS * 2) {
        done += 1;
        const r = await backend.run(echoJob, DEFAULT_WORKER_LIMITS);
        if (!r.ok) throw new Error(`echo failed: ${r.code}`);
      }
    };
    await Promise.all(Array.from({ length: inFlight }, worker));
    const seconds = (performance.now() - t) / 1000;
    rows.push([`echo calls/s, ${children} child(ren), ${inFlight} in flight`, `${Math.round(done / seconds)}`]);
  });
}

const width = Math.max(...rows.map(([k]) => k.length));
console.log(`isolate sandbox benchmark (node ${process.version}, ${(await import('node:os')).cpus().length} CPUs)`);
for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);
