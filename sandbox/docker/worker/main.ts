/**
 * Worker runtime that runs INSIDE the locked-down container (PID 1, uid 65534, no network,
 * read-only root, seccomp). It reads length-prefixed frames on stdin, runs one job at a time
 * and answers on stdout. The container is the sandbox: the handler runs in plain Node.
 * Everything the supervisor sends is parsed as hostile, and everything sent back is re-checked
 * by the supervisor.
 */
import { encodeFrame, FrameDecoder } from '../../ipc/frame.ts';
import { parseSupervisorMessage, type RunMessage } from '../../ipc/messages.ts';
import { runHandler } from './run-handler.ts';

const out = process.stdout;
const decoder = new FrameDecoder();
let busy = false;
const queue: RunMessage[] = [];

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

async function drain(): Promise<void> {
  if (busy) return;
  const job = queue.shift();
  if (job === undefined) return;
  busy = true;
  try {
    send(await runHandler(job));
  } finally {
    busy = false;
    void drain();
  }
}

process.stdin.on('data', (chunk: Buffer) => {
  for (const event of decoder.push(chunk)) {
    if (event.kind === 'error') process.exit(3); // out of sync with the supervisor: stop
    const message = parseSupervisorMessage(event.message);
    if (message === undefined) process.exit(3);
    if (message.t === 'shutdown') process.exit(0);
    queue.push(message);
  }
  void drain();
});
process.stdin.on('end', () => process.exit(0));
process.on('unhandledRejection', () => {
  /* a handler's stray promise must not kill the worker between jobs */
});

send({ t: 'ready' });
