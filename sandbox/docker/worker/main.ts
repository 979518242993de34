/**
 * Worker runtime that runs INSIDE the locked-down container (PID 1, uid 65534, no network,
 * read-only root, seccomp). It reads length-prefixed frames on stdin and answers on stdout.
 *
 * Two layers (issue 15), `--layer=isolate` (the default): the container is reused for many
 * jobs and every job runs in isolated-vm (its own V8 heap, no Node API, no filesystem, no
 * timers of the worker), with nothing to build on the critical path:
 *   - a trusted job (run message `trusted: true`, from the tool manifest only: the built-ins
 *     other than js.eval) runs in the long-lived SES-hardened realm of sandbox/isolate/
 *     trusted-realm.ts, the same code and rules as the isolate backend; until that realm is
 *     built (in the background, after the first trusted job asked for it) a trusted job runs
 *     like an untrusted one;
 *   - an untrusted job (js.eval, operator tools) runs in a FRESH CONTEXT of an isolate that
 *     belongs to its agent (run message `principal`), created ahead of time, or in a never-used
 *     spare isolate (agent-isolates.ts); jobs of different agents never share an isolate.
 * /tmp is emptied before every job (a job cannot write there, but a broken isolate would be the
 * only way to, so the next job, of whatever agent, never finds a file). Each result carries the
 * worker's heap (`heapBytes`: V8 heap in use plus external memory) so the supervisor can retire
 * a container whose process grew.
 *
 * `--layer=process`: the handler runs in plain Node (the container is the only layer); the
 * supervisor uses it only with single-use containers (hardening tests of the outer layer).
 *
 * Everything the supervisor sends is parsed as hostile, and everything sent back is re-checked
 * by the supervisor.
 */
import { readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import type ivmType from 'isolated-vm';
import { encodeFrame, FrameDecoder } from '../../ipc/frame.ts';
import { parseSupervisorMessage, type RunMessage } from '../../ipc/messages.ts';
import { LIMITS } from '../../limits.ts';
import { runInIsolate, type IsolateOutcome } from '../../isolate/run-in-isolate.ts';
import type { TrustedRealms } from '../../isolate/trusted-realm.ts';
import { AgentIsolates } from './agent-isolates.ts';
import { runHandler, type RunOutcome } from './run-handler.ts';

/** where image.ts puts isolated-vm's native addon */
export const IVM_ADDON_IN_IMAGE = '/app/native/isolated_vm.node';
/** jobs the worker runs at once; the supervisor bounds it lower, more is a protocol violation */
const MAX_CONCURRENT = 16;

const layer = process.argv.includes('--layer=process') ? 'process' : 'isolate';
const out = process.stdout;
const decoder = new FrameDecoder();
let running = 0;

function send(message: unknown): void {
  const encoded = encodeFrame(message);
  if (encoded.ok) {
    out.write(encoded.frame);
    return;
  }
  // The result does not fit a frame: answer with a small error instead.
  const id = typeof message === 'object' && message !== null && 'id' in message ? String(message.id) : 'unknown';
  const fallback = encodeFrame({ t: 'result', id, ok: false, code: 'SBX_ERR_OUTPUT_TOO_LARGE', message: 'result does not fit a frame' });
  if (fallback.ok) out.write(fallback.frame);
}

function workerHeapBytes(): number {
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.external;
}

/**
 * Empties /tmp (the only writable place) so no file survives into the next job. Only as PID 1,
 * i.e. inside the container's own PID namespace: never the /tmp of a host this file runs on.
 */
function wipeTmp(): void {
  if (process.pid !== 1) return;
  for (const name of readdirSync('/tmp')) rmSync(`/tmp/${name}`, { recursive: true, force: true });
}

type Ivm = typeof ivmType;
const ivm: Ivm | undefined = layer === 'isolate' ? (createRequire(import.meta.url)(IVM_ADDON_IN_IMAGE) as { ivm: Ivm }).ivm : undefined;
// V8 lost control of an isolate: the process can no longer be trusted, end the container
const catastrophic = (): never => process.exit(70);
/** untrusted jobs: a fresh context in an isolate of their own agent, created ahead of time */
const isolates = ivm === undefined ? undefined : new AgentIsolates(ivm, catastrophic);
/** trusted jobs (manifest "trusted": true): the long-lived SES-hardened realm, as in the isolate backend */
let realms: TrustedRealms | undefined;
/** realm sizes whose realm is built (a trusted job of another size runs in a fresh context meanwhile) */
const realmReady = new Set<number>();
const realmBuilding = new Set<number>();

function buildRealm(memoryMb: number): void {
  if (realms === undefined || realmReady.has(memoryMb) || realmBuilding.has(memoryMb)) return;
  realmBuilding.add(memoryMb);
  realms.prepare(memoryMb).then(() => realmReady.add(memoryMb), () => undefined).finally(() => realmBuilding.delete(memoryMb));
}

function toResult(job: RunMessage, outcome: IsolateOutcome): RunOutcome {
  return outcome.ok ? { t: 'result', id: job.id, ok: true, value: outcome.value } : { t: 'result', id: job.id, ok: false, code: outcome.code, message: outcome.message };
}

async function runIsolated(job: RunMessage): Promise<RunOutcome> {
  const isolateJob = {
    handler: job.handler,
    argsJson: JSON.stringify(job.args),
    timeoutMs: job.timeoutMs,
    maxOutputBytes: job.maxOutputBytes,
    cpuBudgetMs: job.timeoutMs,
  };
  if (job.trusted === true && realms !== undefined && realmReady.has(job.memoryMb)) {
    const outcome = await realms.run(job.memoryMb, isolateJob);
    // a limit retired the realm inside TrustedRealms (and the container is retired for it)
    if (!outcome.ok) realmReady.delete(job.memoryMb);
    return toResult(job, outcome);
  }
  if (job.trusted === true) buildRealm(job.memoryMb);
  // untrusted, or trusted before its realm is built: a fresh context (strictly more isolated)
  const entry = isolates!.acquire(job.principal, job.memoryMb);
  let outcome: IsolateOutcome = { ok: false, code: 'SBX_ERR_WORKER_CRASHED', message: 'the job did not finish' };
  try {
    outcome = await runInIsolate(entry.isolate, isolateJob, isolates!.takeContext(entry));
    return toResult(job, outcome);
  } finally {
    isolates!.release(entry, outcome);
  }
}

async function run(job: RunMessage): Promise<void> {
  running += 1;
  let outcome: RunOutcome;
  try {
    if (layer === 'isolate') {
      wipeTmp();
      outcome = await runIsolated(job);
    } else {
      outcome = await runHandler(job);
    }
  } catch (error) {
    outcome = { t: 'result', id: job.id, ok: false, code: 'SBX_ERR_WORKER_CRASHED', message: `worker failed: ${String(error).slice(0, 200)}` };
  } finally {
    running -= 1;
  }
  send({ ...outcome, heapBytes: workerHeapBytes() });
  if (isolates !== undefined) setImmediate(() => isolates.prepareSpare(job.memoryMb));
}

process.stdin.on('data', (chunk: Buffer) => {
  for (const event of decoder.push(chunk)) {
    if (event.kind === 'error') process.exit(3); // out of sync with the supervisor: stop
    const message = parseSupervisorMessage(event.message);
    if (message === undefined) process.exit(3);
    if (message.t === 'shutdown') process.exit(0);
    if (running >= MAX_CONCURRENT) process.exit(3);
    void run(message);
  }
});
process.stdin.on('end', () => process.exit(0));
process.on('unhandledRejection', () => {
  /* a handler's stray promise (process layer) must not kill the worker between jobs */
});

if (isolates !== undefined) {
  isolates.prepareSpare(LIMITS.isolateMemoryMb);
  // loaded only in the isolate layer: the process layer never loads isolated-vm
  const realm = await import('../../isolate/trusted-realm.ts');
  realms = new realm.TrustedRealms({ onCatastrophicError: catastrophic });
}
send({ t: 'ready' });
