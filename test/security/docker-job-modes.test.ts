/**
 * Issue 15, the two job modes inside ONE reused worker container (sandbox/docker/worker):
 * - trusted built-ins (`trusted: true`, from the manifest only) run in the long-lived
 *   SES-hardened realm: one agent tries to leave state (globals, sloppy `this`, indirect-eval
 *   `var`, prototypes, intrinsics, JSON/Math, Error hooks, the handler object, the Symbol
 *   registry, a late microtask) and another agent, and the same one, find none of it, with
 *   every intrinsic frozen and no timer API;
 * - untrusted jobs run in a fresh, pre-created context of their agent's isolate: the same
 *   attempts, plus memory held in a global (under the isolate's reuse threshold, so the isolate
 *   IS reused), are invisible to the next job of the same agent and of another agent.
 * The container id is the same before and after. Skips without a local daemon, fails without one when CI=true.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Docker from 'dockerode';
import { createDockerBackend } from '../../sandbox/docker/backend.ts';
import { SUPERVISOR_PID_LABEL } from '../../sandbox/docker/container-config.ts';
import type { JsonValue } from '../../sandbox/json.ts';
import type { WorkerBackend, WorkerResult } from '../../sandbox/worker-backend.ts';
import { dockerSkipReason, leftoverContainers } from '../support/docker-env.ts';

const skip = await dockerSkipReason();
const LIMITS = { timeoutMs: 10_000, memoryMb: 32, maxOutputBytes: 256 * 1024 };
const docker = new Docker();
let seq = 0;

function call(backend: WorkerBackend, handler: string, principal: string, trusted: boolean, args: JsonValue = null): Promise<WorkerResult> {
  seq += 1;
  return backend.run({ callId: `modes-${seq}`, tool: trusted ? 'echo' : 'js.eval', handler, args, principal, ...(trusted ? { trusted: true } : {}) }, LIMITS);
}

function value(result: WorkerResult): JsonValue {
  assert.equal(result.ok, true, JSON.stringify(result));
  return result.ok ? result.value : null;
}

async function containers(): Promise<string[]> {
  const list = await docker.listContainers({ filters: { label: [`${SUPERVISOR_PID_LABEL}=${process.pid}`], status: ['running'] } });
  return list.map((c) => c.Id).sort();
}

const SECRET = 'S3CRET-of-agent-a';

// sloppy-mode body: each attempt may throw (frozen targets in the trusted realm)
const WRITER = `
const t = (f) => { try { f(); } catch { /* frozen */ } };
const s = args.secret;
t(() => { globalThis.leak = s; });
t(() => { this.leakThis = s; });
t(() => { (0, eval)('var leakVar = ' + JSON.stringify(s)); });
t(() => { Object.prototype.leak = s; });
t(() => { Array.prototype.push = function () { return s; }; });
t(() => { String.prototype.trim = function () { return s; }; });
t(() => { JSON.stringify = function () { return '"' + s + '"'; }; });
t(() => { Math.leak = s; });
t(() => { Error.prepareStackTrace = () => s; });
t(() => { arguments.callee.leak = s; });
t(() => { globalThis[Symbol.for('palisade-leak')] = s; });
t(() => { Symbol.prototype.leak = s; });
t(() => { Promise.resolve().then(() => { globalThis.late = s; }); });
t(() => { globalThis.held = new Array(64 * 1024).fill(s); });
return { written: true, frozen: Object.isFrozen(Object.prototype) };
`;

const READER = `
const symbols = [globalThis, Symbol, Object.prototype].flatMap((o) => Object.getOwnPropertySymbols(o));
const a = [];
return {
  global: typeof globalThis.leak, leakThis: typeof globalThis.leakThis, leakVar: typeof globalThis.leakVar, late: typeof globalThis.late,
  held: typeof globalThis.held, objectProto: typeof ({}).leak, push: a.push(1), trim: ' a '.trim(), stringify: JSON.stringify({ x: 1 }),
  math: typeof Math.leak, stack: String(new Error('probe').stack).includes(args.secret), callee: typeof arguments.callee.leak,
  registered: typeof globalThis[Symbol.for('palisade-leak')], symbolProto: typeof Symbol.prototype.leak, symbols: symbols.length,
  timers: [typeof setTimeout, typeof setInterval, typeof setImmediate, typeof queueMicrotask],
  frozen: Object.isFrozen(Object.prototype),
};
`;

const CLEAN = {
  global: 'undefined', leakThis: 'undefined', leakVar: 'undefined', late: 'undefined', held: 'undefined', objectProto: 'undefined',
  push: 1, trim: 'a', stringify: '{"x":1}', math: 'undefined', stack: false, callee: 'undefined',
  registered: 'undefined', symbolProto: 'undefined', symbols: 0, timers: ['undefined', 'undefined', 'undefined', 'undefined'],
};

describe('docker worker: trusted realm and per-agent fresh contexts in one reused container', { skip, timeout: 600_000 }, () => {
  let backend: WorkerBackend;
  before(async () => {
    backend = createDockerBackend({ enabled: true, poolSize: 1, jobsPerContainer: 1, standby: 0 }); // containers() counts the pool's one
    await backend.start();
    assert.equal(backend.health().state, 'healthy', JSON.stringify(backend.health()));
  });
  after(async () => {
    await backend?.close();
    assert.deepEqual(await leftoverContainers(), []);
  });

  test('untrusted: nothing a job leaves reaches the next job of the same agent (its isolate, a new context) or of another agent', async () => {
    const [container] = await containers();
    for (const reader of ['agent-a', 'agent-b', 'agent-a']) {
      assert.deepEqual(value(await call(backend, WRITER, 'agent-a', false, { secret: SECRET })), { written: true, frozen: false });
      assert.deepEqual(value(await call(backend, READER, reader, false, { secret: SECRET })), { ...CLEAN, frozen: false }, reader);
    }
    assert.deepEqual(await containers(), [container], 'one reused container');
  });

  test('trusted: once the hardened realm is built, every intrinsic is frozen and nothing one agent leaves reaches another or itself', async () => {
    const [container] = await containers();
    // the first trusted job asks for the realm; until it is built trusted jobs get a fresh context
    const deadline = Date.now() + 60_000;
    while (value(await call(backend, 'return Object.isFrozen(Object.prototype);', 'agent-a', true)) !== true) {
      assert.ok(Date.now() < deadline, 'the trusted realm was not built within 60 s');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    for (const reader of ['agent-b', 'agent-a']) {
      assert.deepEqual(value(await call(backend, WRITER, 'agent-a', true, { secret: SECRET })), { written: true, frozen: true });
      assert.deepEqual(value(await call(backend, READER, reader, true, { secret: SECRET })), { ...CLEAN, frozen: true }, reader);
      // and an untrusted job after it sees a plain, fresh realm
      assert.deepEqual(value(await call(backend, READER, reader, false, { secret: SECRET })), { ...CLEAN, frozen: false });
    }
    assert.deepEqual(await containers(), [container], 'one reused container');
  });
});
