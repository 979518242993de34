/**
 * Leak battery for the trusted-handler realm (issue 12, sandbox/isolate/trusted-realm.ts):
 * trusted handlers share ONE long-lived context per isolate host, so every way a call could
 * leave state for a later call is tried by one agent and looked for by another: globals (plain,
 * via sloppy `this`, indirect eval `var`, defineProperty), prototypes and intrinsics (Object,
 * Array, Map, String methods, JSON, Math), the handler function object itself (closures via
 * arguments.callee), Error hooks and stacks, the Symbol registry, a microtask that fires after
 * the call returned, and Map/array state on shared objects. Real isolate host child processes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ALLOWED_GLOBALS } from '../../sandbox/isolate/bootstrap.ts';
import type { JsonValue } from '../../sandbox/json.ts';
import type { WorkerBackend, WorkerJob, WorkerResult } from '../../sandbox/worker-backend.ts';
import { action, limits, startBackend, TRUSTED_ACTIONS } from '../support/isolate-harness.ts';

const SECRET = 'S3CRET-of-agent-a';

// sloppy-mode handler body (trusted handlers are compiled as given, like the built-ins)
const WRITER = `
const t = (f) => { try { f(); } catch (e) { /* a frozen target throws in strict code */ } };
const s = args.secret;
t(() => { globalThis.leak = s; });
t(() => { this.leakThis = s; });
t(() => { (0, eval)('var leakVar = ' + JSON.stringify(s)); });
t(() => { Object.defineProperty(globalThis, 'leakDefined', { value: s, configurable: true }); });
t(() => { Object.prototype.leak = s; });
t(() => { Array.prototype.leak = s; });
t(() => { Map.prototype.leak = s; });
t(() => { Map.prototype.get = function () { return s; }; });
t(() => { String.prototype.trim = function () { return s; }; });
t(() => { Array.prototype.push = function () { return s; }; });
t(() => { JSON.leak = s; });
t(() => { JSON.stringify = function () { return JSON.parse('"' + s + '"'); }; });
t(() => { Math.leak = s; });
t(() => { Error.prepareStackTrace = () => s; });
t(() => { Error.stackTraceLimit = 0; });
t(() => { Error.prototype.leak = s; });
t(() => { arguments.callee.leak = s; });
t(() => { Symbol.for('palisade-leak-' + s); });
t(() => { Object.getPrototypeOf(async function () {}).leak = s; });
t(() => { Promise.prototype.then = function () { return s; }; });
t(() => { Promise.resolve().then(() => { globalThis.late = s; Array.prototype.late = s; }); });
t(() => { throw new Error(s); });
return { written: true };
`;

const READER = `
const names = Object.getOwnPropertyNames(globalThis);
const symbols = [globalThis, Symbol, Object.prototype].flatMap((o) => Object.getOwnPropertySymbols(o).map(String));
const m = new Map([['k', 'v']]);
const a = [];
return {
  global: typeof globalThis.leak, leakThis: typeof globalThis.leakThis, leakVar: typeof leakVar, leakDefined: typeof globalThis.leakDefined,
  late: typeof globalThis.late, lateArray: typeof [].late,
  objectProto: typeof ({}).leak, arrayProto: typeof [].leak, mapProto: typeof m.leak, mapGet: m.get('k'),
  trim: ' a '.trim(), push: a.push(1), json: typeof JSON.leak, stringify: JSON.stringify({ x: 1 }), math: typeof Math.leak,
  prepareStackTrace: typeof Error.prepareStackTrace, stackTraceLimit: Error.stackTraceLimit, errorProto: typeof new Error('x').leak,
  stack: String(new Error('probe').stack).includes(args.secret), callee: typeof arguments.callee.leak,
  asyncProto: typeof Object.getPrototypeOf(async function () {}).leak,
  symbolsWithSecret: symbols.filter((x) => x.includes(args.secret)).length,
  extraGlobals: names.filter((n) => !args.allowed.includes(n)),
  then: typeof Promise.resolve(1).then(() => 1),
  frozen: [Object.isFrozen(globalThis), Object.isFrozen(Array.prototype), Object.isFrozen(Object.prototype), Object.isFrozen(arguments.callee)],
  timers: [typeof setTimeout, typeof setInterval, typeof setImmediate, typeof queueMicrotask],
};
`;

const EXPECTED_READ = {
  global: 'undefined', leakThis: 'undefined', leakVar: 'undefined', leakDefined: 'undefined', late: 'undefined', lateArray: 'undefined',
  objectProto: 'undefined', arrayProto: 'undefined', mapProto: 'undefined', mapGet: 'v', trim: 'a', push: 1, json: 'undefined',
  stringify: '{"x":1}', math: 'undefined', errorProto: 'undefined', stack: false, callee: 'undefined',
  asyncProto: 'undefined', symbolsWithSecret: 0, extraGlobals: [], then: 'object', frozen: [true, true, true, true],
  timers: ['undefined', 'undefined', 'undefined', 'undefined'],
};

function trustedJob(handler: string, args: JsonValue, principal: string, tool: string): WorkerJob {
  return { callId: `call-${tool}-${principal}`, tool, handler, args, principal, trusted: true };
}

async function value(r: Promise<WorkerResult>): Promise<Record<string, unknown>> {
  const res = await r;
  assert.ok(res.ok, `expected a value, got ${JSON.stringify(res)}`);
  return res.value as Record<string, unknown>;
}

describe('trusted realm leak battery', () => {
  let backend: WorkerBackend;
  before(async () => {
    // one host child: every call lands in the same realm
    backend = await startBackend({ children: 1 });
  });
  after(() => backend.close());

  const read = (principal: string, tool = 'reader'): Promise<Record<string, unknown>> =>
    value(backend.run(trustedJob(READER, { secret: SECRET, allowed: [...ALLOWED_GLOBALS] }, principal, tool), limits({ timeoutMs: 5000 })));

  it('the realm is hardened (not a fresh context): intrinsics and the global object are frozen; an untrusted call is not', async () => {
    const before = await read('agent-b');
    assert.deepEqual(before['frozen'], [true, true, true, true]);
    const untrusted = await backend.run(action('js.eval', { code: 'return [Object.isFrozen(globalThis), Object.isFrozen(Array.prototype)]' }), limits({ timeoutMs: 5000 }));
    assert.deepEqual(untrusted.ok ? untrusted.value : untrusted, [false, false]);
  });

  it('nothing one agent writes is seen by the next call of another agent (same handler and another handler)', async () => {
    const baseline = await read('agent-b');
    // SES's own (frozen) Error hooks are what a reader sees: unchanged by the writer
    const hooks = { stackTraceLimit: baseline['stackTraceLimit'], prepareStackTrace: baseline['prepareStackTrace'] };
    const wrote = await backend.run(trustedJob(WRITER, { secret: SECRET }, 'agent-a', 'writer'), limits({ timeoutMs: 5000 }));
    assert.ok(!wrote.ok || (wrote.value as Record<string, unknown>)['written'] === true, JSON.stringify(wrote));
    for (const [principal, tool] of [['agent-b', 'reader'], ['agent-c', 'reader-2'], ['agent-a', 'reader']] as const) {
      const seen = await read(principal, tool);
      assert.deepEqual(seen, { ...EXPECTED_READ, ...hooks }, `${principal}/${tool}`);
    }
  });

  it('the writer run as the reader (same compiled function) finds nothing of its own earlier call', async () => {
    const both = `${WRITER.replace('return { written: true };', 'if (args.mode === "write") return { written: true };')}\n${READER}`;
    const baseline = await read('agent-b');
    const hooks = { stackTraceLimit: baseline['stackTraceLimit'], prepareStackTrace: baseline['prepareStackTrace'] };
    await backend.run(trustedJob(both, { secret: SECRET, mode: 'write', allowed: [...ALLOWED_GLOBALS] }, 'agent-a', 'both'), limits({ timeoutMs: 5000 }));
    const seen = await value(backend.run(trustedJob(both, { secret: SECRET, mode: 'read', allowed: [...ALLOWED_GLOBALS] }, 'agent-b', 'both'), limits({ timeoutMs: 5000 })));
    assert.deepEqual(seen, { ...EXPECTED_READ, ...hooks });
  });

  it('built-in trusted actions still work in the hardened realm, and a timeout rebuilds the realm', async () => {
    assert.deepEqual([...TRUSTED_ACTIONS].sort(), ['echo', 'hash.digest', 'json.query', 'regex.test', 'text.transform']);
    assert.equal(action('js.eval', { code: '' }).trusted, undefined, 'js.eval runs caller code: never trusted');
    const echo = await backend.run(action('echo', { text: 'hi' }), limits());
    assert.deepEqual(echo.ok ? echo.value : echo, { text: 'hi' });
    const digest = await backend.run(action('hash.digest', { algorithm: 'sha256', data: 'abc' }), limits());
    assert.deepEqual(digest.ok ? digest.value : digest, { algorithm: 'sha256', hex: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad' });
    const spin = await backend.run(trustedJob('for (;;) {}', {}, 'agent-a', 'spin'), limits({ timeoutMs: 200 }));
    assert.equal(spin.ok ? 'ok' : spin.code, 'SBX_ERR_TIMEOUT');
    const after = await read('agent-b');
    assert.deepEqual(after['frozen'], [true, true, true, true]);
  });
});
