/**
 * Isolate host: the child-process entry the supervisor spawns as
 *   node --no-node-snapshot sandbox/isolate/host.ts [--pool-size=N --max-calls=N --memory-mb=N]
 * stdin: length-prefixed frames from the supervisor; stdout: frames back; stderr: logs only.
 * Sends {t:'ready'} once the isolate pool is warm. An untrusted run gets a pooled isolate and a
 * fresh context created ahead of time (pool.ts, run-in-isolate.ts); a trusted one (manifest
 * "trusted": true) runs in the long-lived hardened realm (trusted-realm.ts). A broken supervisor frame ends the process (exit 65);
 * isolated-vm's onCatastrophicError ends it with exit 70 so the supervisor restarts it.
 */
import { writeSync } from 'node:fs';
import { FrameDecoder, encodeFrame } from '../ipc/frame.ts';
import { parseSupervisorMessage, type RunMessage, type WorkerMessage } from '../ipc/messages.ts';
import { LIMITS } from '../limits.ts';
import { HOST_EXIT } from './exit-codes.ts';
import { parseHostOptions } from './host-options.ts';
import { IsolatePool, takeContext } from './pool.ts';
import { runInIsolate, type IsolateOutcome } from './run-in-isolate.ts';
import { TrustedRealms } from './trusted-realm.ts';

function log(line: string): void {
  try {
    writeSync(2, `[isolate-host ${process.pid}] ${line}\n`);
  } catch {
    /* stderr gone */
  }
}

function die(code: number, why: string): never {
  log(why);
  process.exit(code);
}

const parsed = parseHostOptions(process.argv.slice(2));
if (!parsed.ok) die(HOST_EXIT.protocol, parsed.message);
const options = parsed.options;

process.on('uncaughtException', (error) => die(HOST_EXIT.internal, `internal error: ${error.message}`));
process.on('unhandledRejection', (error) => die(HOST_EXIT.internal, `internal rejection: ${String(error)}`));

const pool = new IsolatePool({
  size: options.poolSize,
  defaultMemoryMb: options.defaultMemoryMb,
  maxCallsPerIsolate: options.maxCallsPerIsolate,
  onCatastrophicError: (message) => die(HOST_EXIT.catastrophic, `catastrophic isolate error: ${message}`),
});

// trusted handlers (manifest "trusted": true) run in a long-lived hardened realm (trusted-realm.ts)
const realms = new TrustedRealms({
  onCatastrophicError: (message) => die(HOST_EXIT.catastrophic, `catastrophic isolate error: ${message}`),
});

function send(message: WorkerMessage): void {
  let encoded = encodeFrame(message, LIMITS.frameBytes);
  if (!encoded.ok && message.t === 'result') {
    encoded = encodeFrame({ t: 'result', id: message.id, ok: false, code: 'SBX_ERR_OUTPUT_TOO_LARGE', message: 'result does not fit an IPC frame' });
  }
  if (!encoded.ok) die(HOST_EXIT.internal, 'could not encode a reply');
  process.stdout.write(encoded.frame);
}

async function run(message: RunMessage): Promise<void> {
  const job = {
    handler: message.handler,
    argsJson: JSON.stringify(message.args),
    timeoutMs: message.timeoutMs,
    maxOutputBytes: message.maxOutputBytes,
    cpuBudgetMs: message.timeoutMs,
  };
  let outcome: IsolateOutcome;
  if (message.trusted === true) {
    outcome = await realms.run(message.memoryMb, job);
  } else {
    const entry = pool.acquire(message.memoryMb);
    outcome = await runInIsolate(entry.isolate, job, takeContext(entry));
    // any failure retires the isolate; a success keeps it warm until maxCallsPerIsolate
    pool.release(entry, !outcome.ok);
  }
  if (outcome.ok) send({ t: 'result', id: message.id, ok: true, value: outcome.value });
  else send({ t: 'result', id: message.id, ok: false, code: outcome.code, message: outcome.message });
}

const decoder = new FrameDecoder(LIMITS.frameBytes);
process.stdin.on('data', (chunk: Buffer) => {
  for (const event of decoder.push(chunk)) {
    if (event.kind === 'error') die(HOST_EXIT.protocol, `bad frame from supervisor: ${event.error.code}`);
    const message = parseSupervisorMessage(event.message);
    if (message === undefined) die(HOST_EXIT.protocol, 'bad message from supervisor');
    switch (message.t) {
      case 'shutdown':
        pool.close();
        realms.close();
        process.exit(HOST_EXIT.normal);
        break;
      case 'run':
        void run(message);
        break;
      default: {
        const never: never = message;
        die(HOST_EXIT.protocol, `unknown message ${String(never)}`);
      }
    }
  }
});
process.stdin.on('end', () => {
  pool.close();
  process.exit(HOST_EXIT.normal);
});

send({ t: 'ready' });
// the trusted realm is built on the first trusted call (SES lockdown costs ~0.3-1 s of CPU): a
// host that only ever runs untrusted code, or that is restarted after a crash, never pays it
