/**
 * Docker backend figures, measured in one run against the local engine:
 *  - warm-pool echo call latency (p50/p99), reused containers and the default single-use
 *    pre-started containers, vs the same echo in a fresh container (a cold
 *    `docker run` equivalent: create + start + ready + call + remove), same handler, same run
 *  - container start time (create → attach → start → worker `ready`)
 *  - memory per warm idle container (cgroup usage minus page cache, from `docker stats`)
 *  - the same echo through the docker CLI (`docker run --rm -i`, same restrictions), until exit
 *  - issue 15, the two-layer pool (fresh isolate per job in reused containers), 10 concurrent
 *    callers for `--seconds` each: echo and js.eval throughput and p50/p99, throughput as the
 *    recycle count N (maxJobsPerContainer) changes, and the cost of a recycled container
 *    (container start → ready → first job answered)
 *    Echo is sent as the manifest marks it (trusted: the worker's hardened realm), js.eval
 *    untrusted (a fresh context of its agent's isolate); each row also gives the sequential p50
 *    on the same pool just before the load, and the memory of each container after it.
 * Usage: node scripts/bench-docker.ts [--warm 300] [--single 30] [--cold 20] [--cli 10] [--starts 10] [--seconds 5]
 *        [--connections 10] [--pool 2] [--only-pool]
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';
import { encodeFrame, FrameDecoder } from '../sandbox/ipc/frame.ts';
import { createDockerBackend } from '../sandbox/docker/backend.ts';
import { containerSpec, INSTANCE_LABEL, loadSeccompProfile, SUPERVISOR_PID_LABEL } from '../sandbox/docker/container-config.ts';
import { ensureWorkerImage } from '../sandbox/docker/image.ts';
import { DEFAULT_DOCKER_QUOTAS } from '../sandbox/docker/quotas.ts';
import { DEFAULT_RECYCLE_RULES } from '../sandbox/docker/recycle.ts';
import { WorkerContainer } from '../sandbox/docker/worker-container.ts';
import { BUILTIN_ACTIONS_DIR, readToolDir } from '../sandbox/actions/load.ts';
import type { JsonValue } from '../sandbox/json.ts';

function arg(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  const value = at >= 0 ? Number(process.argv[at + 1]) : fallback;
  return Number.isSafeInteger(value) && value > 0 ? value : fallback;
}

function pct(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return Math.round((sorted[Math.max(0, index)] ?? Number.NaN) * 10) / 10;
}

const summary = (samples: number[]): string => `p50 ${pct(samples, 50)} ms · p99 ${pct(samples, 99)} ms · n=${samples.length}`;

const docker = new Docker();
const image = await ensureWorkerImage(docker);
if (!image.ok) {
  process.stderr.write(`${image.reason}\n`);
  process.exit(1);
}
const tag = image.tag;
const limits = { timeoutMs: 10_000, memoryMb: 64, maxOutputBytes: 256 * 1024 };

interface LoadCase {
  readonly maxJobs: number;
  readonly handler: string;
  readonly args: JsonValue;
  readonly seconds: number;
  readonly connections: number;
  /** as the manifest marks it (echo and the other built-ins but js.eval): the worker's hardened realm */
  readonly trusted: boolean;
  /** distinct agents the callers belong to (round robin); untrusted jobs of one agent share an isolate */
  readonly agents: number;
}

interface LoadRow {
  reqPerSec: number;
  p50: number;
  p99: number;
  errors: number;
  /** the same job one at a time on the same pool, just before the load: p50 ms */
  sequentialP50: number;
  memoryMiB: number[];
}

/** memory of each running worker container of this process (cgroup usage minus page cache), MiB */
async function containerMemory(): Promise<number[]> {
  const mem: number[] = [];
  for (const info of await docker.listContainers({ filters: { label: [`${SUPERVISOR_PID_LABEL}=${process.pid}`], status: ['running'] } })) {
    if (info.Labels[INSTANCE_LABEL] === 'bench') continue;
    try {
      const stats = (await docker.getContainer(info.Id).stats({ stream: false })) as { memory_stats: { usage?: number; stats?: Record<string, number> } };
      const cache = stats.memory_stats.stats?.['cache'] ?? stats.memory_stats.stats?.['inactive_file'] ?? 0;
      mem.push(Math.round(((stats.memory_stats.usage ?? 0) - cache) / 104857.6) / 10);
    } catch {
      /* replaced (recycled) since it was listed */
    }
  }
  return mem;
}

const poolSize = arg('pool', 2);

/** issue 15: `connections` concurrent callers against a two-layer pool for `seconds` */
async function poolLoad(options: LoadCase): Promise<LoadRow> {
  const pool = createDockerBackend({ enabled: true, image: tag, poolSize, maxJobsPerContainer: options.maxJobs });
  await pool.start();
  let n = 0;
  let errors = 0;
  const lat: number[] = [];
  const one = async (): Promise<void> => {
    n += 1;
    const began = performance.now();
    const r = await pool.run({
      callId: `load-${n}`, tool: 'bench', handler: options.handler, args: options.args, principal: `bench-agent-${n % options.agents}`,
      ...(options.trusted ? { trusted: true } : {}),
    }, limits);
    if (r.ok) lat.push(performance.now() - began);
    else errors += 1;
  };
  for (let i = 0; i < 40; i++) await one(); // warm-up (the first trusted jobs ask for the realm)
  await new Promise((resolve) => setTimeout(resolve, 2_000)); // realms built in the background
  lat.length = 0;
  for (let i = 0; i < 100; i++) await one();
  const sequentialP50 = pct(lat, 50);
  lat.length = 0;
  errors = 0;
  const began = performance.now();
  await Promise.all(Array.from({ length: options.connections }, async () => {
    while (performance.now() - began < options.seconds * 1000) await one();
  }));
  const elapsed = (performance.now() - began) / 1000;
  const memoryMiB = await containerMemory();
  await pool.close();
  return { reqPerSec: Math.round(lat.length / elapsed), p50: pct(lat, 50), p99: pct(lat, 99), errors, sequentialP50, memoryMiB };
}

const seconds = arg('seconds', 5);
const connections = arg('connections', 10);
const jsEvalHandler = readToolDir(BUILTIN_ACTIONS_DIR).find((t) => (t.manifest as { name?: unknown }).name === 'js.eval')?.handler ?? '';
const echoHandler = readToolDir(BUILTIN_ACTIONS_DIR).find((t) => (t.manifest as { name?: unknown }).name === 'echo')?.handler ?? '';
const echoCase = { maxJobs: DEFAULT_RECYCLE_RULES.maxJobs, handler: echoHandler, args: { text: 'hello' }, seconds, connections, trusted: true, agents: 1 };
const evalCase = { maxJobs: DEFAULT_RECYCLE_RULES.maxJobs, handler: jsEvalHandler, args: { code: 'return 1' }, seconds, connections, trusted: false, agents: 1 };
const two = {
  echo: await poolLoad(echoCase),
  jsEval: await poolLoad(evalCase),
  // ten agents: no two share an isolate, so most jobs get the spare or a new isolate
  jsEvalTenAgents: await poolLoad({ ...evalCase, agents: 10 }),
  // the pre-issue-15-item-1 path for comparison: echo as an untrusted job (a fresh context)
  echoUntrusted: await poolLoad({ ...echoCase, trusted: false }),
  byN: {} as Record<string, LoadRow>,
};
for (const maxJobs of [1, 16, 256, 1024, 4096]) two.byN[String(maxJobs)] = await poolLoad({ ...echoCase, maxJobs });
const recycled: number[] = [];
const twoLayerSpec = containerSpec({ image: tag, quotas: DEFAULT_DOCKER_QUOTAS, seccomp: loadSeccompProfile(), instance: 'bench' });
for (let i = 0; i < arg('starts', 10); i++) {
  const began = performance.now();
  const worker = await WorkerContainer.start(docker, twoLayerSpec, { startTimeoutMs: 30_000, hardTimeoutGraceMs: 1_000 });
  const first = await worker.run(`first-${i}`, echoHandler, { text: 'hello' }, limits, { trusted: true, principal: 'bench-agent' });
  if (first.ok) recycled.push(performance.now() - began);
  await worker.destroy();
}
const poolRow = (r: LoadRow): string => `${r.reqPerSec} req/s · p50 ${r.p50} ms · p99 ${r.p99} ms · errors ${r.errors} · sequential p50 ${r.sequentialP50} ms · memory ${r.memoryMiB.join('/')} MiB`;
process.stdout.write(`pool of ${poolSize} containers (+1 never-used standby, sandbox/docker/standby.ts), ${connections} callers, ${seconds} s per row\n`);
process.stdout.write(`two-layer echo (trusted realm):       ${poolRow(two.echo)}\n`);
process.stdout.write(`two-layer js.eval (one agent):        ${poolRow(two.jsEval)}\n`);
process.stdout.write(`two-layer js.eval (ten agents):       ${poolRow(two.jsEvalTenAgents)}\n`);
process.stdout.write(`two-layer echo as untrusted:          ${poolRow(two.echoUntrusted)}\n`);
for (const [maxJobs, r] of Object.entries(two.byN)) process.stdout.write(`two-layer echo, N=${maxJobs.padEnd(4)}:               ${poolRow(r)}\n`);
process.stdout.write(`recycled container (start → first job): ${summary(recycled)}\n`);
process.stdout.write(`${JSON.stringify({ poolSize, connections, twoLayer: two, recycledContainerMs: { p50: pct(recycled, 50), p99: pct(recycled, 99), n: recycled.length } })}\n`);
if (process.argv.includes('--only-pool')) process.exit(0);
const echo = 'return { text: args.text };';
const backend = createDockerBackend({ enabled: true, image: image.tag, poolSize: 2, maxJobsPerContainer: 1_000_000 });
await backend.start();
if (backend.health().state !== 'healthy') throw new Error(JSON.stringify(backend.health()));

let id = 0;
const timed = async (fresh: boolean): Promise<number> => {
  id += 1;
  const started = performance.now();
  const r = await backend.run({ callId: `bench-${id}`, tool: 'echo', handler: echo, args: { text: 'hello' }, ...(fresh ? { fresh: true } : {}) }, limits);
  if (!r.ok) throw new Error(`${r.code}: ${r.message}`);
  return performance.now() - started;
};

for (let i = 0; i < 20; i++) await timed(false); // warm-up
const warm: number[] = [];
const cold: number[] = [];
const warmN = arg('warm', 300);
const coldN = arg('cold', 20);
// interleave so both see the same machine load
for (let i = 0; i < Math.max(warmN, coldN); i++) {
  if (i < coldN) cold.push(await timed(true));
  for (let k = 0; k < Math.ceil(warmN / coldN) && warm.length < warmN; k++) warm.push(await timed(false));
}

/** the same echo through the docker CLI: `docker run --rm -i` with the worker's restrictions */
const SECCOMP_FILE = fileURLToPath(new URL('../sandbox/docker/seccomp-worker.json', import.meta.url));
function cliRun(tag: string): Promise<number> {
  const began = performance.now();
  const child = spawn('docker', [
    'run', '--rm', '-i', '--read-only', '--tmpfs', '/tmp:rw,size=16m,noexec,nosuid,nodev', '--network', 'none', '--ipc', 'none',
    '--memory', '64m', '--memory-swap', '64m', '--cpus', '0.5', '--pids-limit', '64', '--cap-drop', 'ALL',
    '--security-opt', 'no-new-privileges', '--security-opt', `seccomp=${SECCOMP_FILE}`, '--user', '65534:65534',
    '--ulimit', 'nofile=256:256', '--log-driver', 'none', tag,
  ], { stdio: ['pipe', 'pipe', 'ignore'] });
  const frame = encodeFrame({ t: 'run', id: 'cli', handler: echo, args: { text: 'hello' }, timeoutMs: 10_000, memoryMb: 64, maxOutputBytes: 262_144 });
  if (!frame.ok) throw new Error('frame');
  const decoder = new FrameDecoder();
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      for (const event of decoder.push(chunk)) {
        if (event.kind === 'message' && (event.message as { t?: string }).t === 'ready') child.stdin.write(frame.frame);
        if (event.kind === 'message' && (event.message as { t?: string }).t === 'result') child.stdin.end();
      }
    });
    child.on('error', reject);
    child.on('exit', () => resolve(performance.now() - began));
  });
}
const cli: number[] = [];
for (let i = 0; i < arg('cli', 10); i++) cli.push(await cliRun(image.tag));

// the default: single-use containers, pre-started; calls spaced so replacements keep up
const singleUse = createDockerBackend({ enabled: true, image: image.tag, poolSize: 2, layer: 'process' });
await singleUse.start();
const single: number[] = [];
for (let i = 0; i < arg('single', 30); i++) {
  await new Promise((resolve) => setTimeout(resolve, 500));
  const began = performance.now();
  const r = await singleUse.run({ callId: `single-${i}`, tool: 'echo', handler: echo, args: { text: 'hello' } }, limits);
  if (!r.ok) throw new Error(`${r.code}: ${r.message}`);
  single.push(performance.now() - began);
}
await singleUse.close();

const spec = containerSpec({ image: image.tag, quotas: DEFAULT_DOCKER_QUOTAS, seccomp: loadSeccompProfile(), instance: 'bench' });
const starts: number[] = [];
for (let i = 0; i < arg('starts', 10); i++) {
  const began = performance.now();
  const worker = await WorkerContainer.start(docker, spec, { startTimeoutMs: 30_000, hardTimeoutGraceMs: 1_000 });
  starts.push(performance.now() - began);
  await worker.destroy();
}

const mine = await docker.listContainers({ filters: { label: [`${SUPERVISOR_PID_LABEL}=${process.pid}`] } });
const memory: number[] = [];
for (const info of mine.filter((c) => c.Labels[INSTANCE_LABEL] !== 'bench')) {
  const stats = (await docker.getContainer(info.Id).stats({ stream: false })) as { memory_stats: { usage?: number; stats?: Record<string, number> } };
  const usage = stats.memory_stats.usage ?? 0;
  const cache = stats.memory_stats.stats?.['cache'] ?? stats.memory_stats.stats?.['inactive_file'] ?? 0;
  memory.push((usage - cache) / (1024 * 1024));
}
await backend.close();

const report = {
  image: image.tag,
  warmCallMs: { p50: pct(warm, 50), p99: pct(warm, 99), n: warm.length },
  singleUsePrestartedCallMs: { p50: pct(single, 50), p99: pct(single, 99), n: single.length },
  freshContainerCallMs: { p50: pct(cold, 50), p99: pct(cold, 99), n: cold.length },
  dockerRunCliMs: { p50: pct(cli, 50), p99: pct(cli, 99), n: cli.length },
  containerStartToReadyMs: { p50: pct(starts, 50), p99: pct(starts, 99), n: starts.length },
  warmContainerMemoryMiB: memory.map((m) => Math.round(m * 10) / 10),
};
process.stdout.write(`warm reused-container call: ${summary(warm)} (maxJobsPerContainer 1e6)\n`);
process.stdout.write(`single-use pre-started call: ${summary(single)} (process layer, calls 500 ms apart)\n`);
process.stdout.write(`fresh-container echo call:  ${summary(cold)}\n`);
process.stdout.write(`docker run --rm -i (CLI):    ${summary(cli)}\n`);
process.stdout.write(`container start → ready:    ${summary(starts)}\n`);
process.stdout.write(`memory per warm container:  ${report.warmContainerMemoryMiB.join(', ')} MiB (usage − cache)\n`);
process.stdout.write(`${JSON.stringify(report)}\n`);
