/**
 * Issue 20's profile, part two: how many syscalls one warm two-layer job makes in the Docker
 * worker (runc), counted by `strace -c -f` attached from the host to the pool's worker
 * processes while N warm echo and js.eval jobs run at the backend interface. Multiplied by the
 * per-syscall and per-wake-up costs that `npm run bench` prints for each runtime (the
 * `docker runtime profile` lines, scripts/bench/runtime-probes.ts) it accounts for the extra
 * time a warm call pays under runsc's ptrace platform.
 * Needs strace (Debian package strace) and root; a profiling aid, not part of CI.
 * Usage: node scripts/profile-worker-syscalls.ts [--jobs 200]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { createDockerBackend } from '../sandbox/docker/backend.ts';
import { ensureWorkerImage } from '../sandbox/docker/image.ts';

const at = process.argv.indexOf('--jobs');
const JOBS = at >= 0 ? Number(process.argv[at + 1]) : 200;
const LIMITS = { timeoutMs: 30_000, memoryMb: 64, maxOutputBytes: 256 * 1024 };
const read = (rel: string): string => readFileSync(new URL(rel, import.meta.url), 'utf8');
const CASES = [
  { id: 'echo', tool: 'echo', handler: read('../sandbox/actions/echo/handler.js'), args: { text: 'hello' } },
  { id: 'js.eval', tool: 'js.eval', handler: read('../sandbox/actions/js.eval/handler.js'), args: { code: 'let s = 0; for (let i = 0; i < 1000; i++) s += i; return s;' } },
];

/** strace -c's table → total calls and the calls per syscall name. */
function parseSummary(text: string): { total: number; calls: Map<string, number> } {
  const calls = new Map<string, number>();
  let total = 0;
  for (const line of text.split('\n')) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 5 || !/^\d+(\.\d+)?$/.test(cols[0] ?? '')) continue;
    const name = cols[cols.length - 1] ?? '';
    const n = Number(cols[3]);
    if (name === 'total') total = n;
    else calls.set(name, n);
  }
  return { total, calls };
}

const docker = new Docker();
const image = await ensureWorkerImage(docker);
if (!image.ok) throw new Error(image.reason);
const before = new Set((await docker.listContainers()).map((c) => c.Id));
const backend = createDockerBackend({ enabled: true, image: image.tag, poolSize: 1, runtime: 'runc' });
await backend.start();
const dir = mkdtempSync(join(tmpdir(), 'palisade-strace-'));
try {
  let seq = 0;
  const run = (c: (typeof CASES)[number]) => backend.run({ callId: `strace-${seq++}`, tool: c.tool, handler: c.handler, args: c.args }, LIMITS);
  for (const c of CASES) for (let i = 0; i < 30; i++) await run(c); // warm-up
  const mine = (await docker.listContainers()).filter((c) => !before.has(c.Id));
  const pids = await Promise.all(mine.map(async (c) => (await docker.getContainer(c.Id).inspect()).State.Pid));
  for (const c of CASES) {
    const out = join(dir, `${c.id}.txt`);
    const tracer = spawn('strace', ['-c', '-f', '-o', out, ...pids.flatMap((p) => ['-p', String(p)])], { stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 1_500)); // attached to every thread
    for (let i = 0; i < JOBS; i++) await run(c);
    tracer.kill('SIGINT');
    await new Promise((r) => tracer.once('exit', r));
    const { total, calls } = parseSummary(readFileSync(out, 'utf8'));
    const top = [...calls].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([n, k]) => `${n} ${(k / JOBS).toFixed(1)}`).join(', ');
    console.log(`${c.id}: ${(total / JOBS).toFixed(1)} syscalls per warm job (${JOBS} jobs, ${pids.length} worker containers traced); per job: ${top}`);
  }
} finally {
  await backend.close();
  rmSync(dir, { recursive: true, force: true });
}
