/**
 * Worker runtime that runs INSIDE the locked-down container (PID 1, uid 65534, no network,
 * read-only root, seccomp). It reads length-prefixed frames on stdin and answers on stdout.
 *
 * Two layers (issue 15), `--layer=isolate` (the default): the container is reused for many
 * jobs and every job runs in a FRESH isolated-vm isolate (its own V8 heap, no Node API, no
 * filesystem, no timers of the worker), created before the job arrives and disposed right
 * after it, so nothing a job leaves in JS reaches the next one. /tmp is emptied before every
 * job as well (a job cannot write there, but a broken isolate would be the only way to, so the
 * next job, of whatever agent, never finds a file). Each result carries the worker's heap
 * (`heapBytes`: V8 heap in use plus external memory) so the supervisor can retire a container
 * whose process grew.
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
import { runInIsolate } from '../../isolate/run-in-isolate.ts';
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
/** the next job's isolate, created while idle (a fresh, never used isolate per job) */
let spare: { isolate: ivmType.Isolate; memoryMb: number } | undefined;

function newIsolate(memoryMb: number): ivmType.Isolate {
  return new ivm!.Isolate({
    memoryLimit: memoryMb,
    // V8 lost control of an isolate: the process can no longer be trusted, end the container
    onCatastrophicError: () => process.exit(70),
  });
}

function prepareSpare(memoryMb: number): void {
  if (spare !== undefined || ivm === undefined) return;
  spare = { isolate: newIsolate(memoryMb), memoryMb };
}

async function runIsolated(job: RunMessage): Promise<RunOutcome> {
  const isolate = spare !== undefined && spare.memoryMb === job.memoryMb ? spare.isolate : newIsolate(job.memoryMb);
  if (spare?.isolate === isolate) spare = undefined;
  try {
    const outcome = await runInIsolate(isolate, {
      handler: job.handler,
      argsJson: JSON.stringify(job.args),
      timeoutMs: job.timeoutMs,
      maxOutputBytes: job.maxOutputBytes,
      cpuBudgetMs: job.timeoutMs,
    });
    return outcome.ok ? { t: 'result', id: job.id, ok: true, value: outcome.value } : { t: 'result', id: job.id, ok: false, code: outcome.code, message: outcome.message };
  } finally {
    try {
      isolate.dispose();
    } catch {
      /* disposed by a limit */
    }
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
  if (layer === 'isolate') setImmediate(() => prepareSpare(job.memoryMb));
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

if (layer === 'isolate') prepareSpare(LIMITS.isolateMemoryMb);
send({ t: 'ready' });
