/**
 * The container's worker runtime, run here as a real child process (same Node, same file the
 * image carries) and driven over stdin/stdout frames exactly as the supervisor does.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { encodeFrame, FrameDecoder } from '../../../sandbox/ipc/frame.ts';

const WORKER = fileURLToPath(new URL('../../../sandbox/docker/worker/main.ts', import.meta.url));
let child: ChildProcessWithoutNullStreams;
const decoder = new FrameDecoder();
const inbox: unknown[] = [];
let waiting: ((message: unknown) => void) | undefined;

function next(): Promise<unknown> {
  const queued = inbox.shift();
  if (queued !== undefined) return Promise.resolve(queued);
  return new Promise((resolve) => (waiting = resolve));
}

function send(message: unknown): void {
  const encoded = encodeFrame(message);
  assert.ok(encoded.ok);
  child.stdin.write(encoded.frame);
}

let n = 0;
async function run(handler: string, args: unknown = null, maxOutputBytes = 1024): Promise<unknown> {
  n += 1;
  send({ t: 'run', id: `u${n}`, handler, args, timeoutMs: 5000, memoryMb: 64, maxOutputBytes });
  return next();
}

before(async () => {
  // the process layer: the isolate layer loads isolated-vm from the image's path (docker-two-layer.test.ts)
  child = spawn(process.execPath, [WORKER, '--layer=process'], { stdio: 'pipe', env: {} });
  child.stdout.on('data', (chunk: Buffer) => {
    for (const event of decoder.push(chunk)) {
      const message = event.kind === 'message' ? event.message : event;
      // every result carries the worker's heap (issue 15: heap rule); checked here, then set aside
      if (typeof message === 'object' && message !== null && (message as { t?: unknown }).t === 'result') {
        assert.ok(Number.isSafeInteger((message as { heapBytes?: unknown }).heapBytes), JSON.stringify(message));
        delete (message as { heapBytes?: unknown }).heapBytes;
      }
      if (waiting !== undefined) {
        const resolve = waiting;
        waiting = undefined;
        resolve(message);
      } else inbox.push(message);
    }
  });
  assert.deepEqual(await next(), { t: 'ready' });
});

after(() => {
  child.kill('SIGKILL');
});

test('runs the handler as an async function body with args in scope', async () => {
  assert.deepEqual(await run('await null; return { sum: args.a + args.b };', { a: 2, b: 3 }), { t: 'result', id: `u${n}`, ok: true, value: { sum: 5 } });
});

test('answers undefined as null and a non-JSON value (BigInt) as SBX_ERR_BAD_OUTPUT', async () => {
  assert.deepEqual(await run('return undefined;'), { t: 'result', id: `u${n}`, ok: true, value: null });
  const bad = (await run('return 1n;')) as { code: string };
  assert.equal(bad.code, 'SBX_ERR_BAD_OUTPUT');
});

test('answers SBX_ERR_OUTPUT_TOO_LARGE when the JSON result exceeds maxOutputBytes', async () => {
  const big = (await run('return "y".repeat(2000);', null, 1024)) as { ok: boolean; code: string };
  assert.equal(big.ok, false);
  assert.equal(big.code, 'SBX_ERR_OUTPUT_TOO_LARGE');
});

test('a thrown error yields TOOL_ERR_THROWN with only its message, at most 1024 chars', async () => {
  const thrown = (await run('throw new Error("no " + "z".repeat(3000));')) as { code: string; message: string };
  assert.equal(thrown.code, 'TOOL_ERR_THROWN');
  assert.equal(thrown.message.length, 1024);
  assert.ok(!thrown.message.includes('\n    at '));
  const plain = (await run('throw "just a string";')) as { message: string };
  assert.equal(plain.message, 'just a string');
});

test('a syntax error in the handler is reported, not fatal; the next job still runs', async () => {
  const broken = (await run('return {{;')) as { code: string };
  assert.equal(broken.code, 'TOOL_ERR_THROWN');
  assert.deepEqual(await run('return 7;'), { t: 'result', id: `u${n}`, ok: true, value: 7 });
});

test('exits when the supervisor sends a frame it cannot parse', async () => {
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const header = Buffer.alloc(4);
  header.writeUInt32BE(3);
  child.stdin.write(Buffer.concat([header, Buffer.from('{{{')]));
  assert.equal(await exited, 3);
});
