/**
 * Escape probes against the real isolate host: a handler sees only the isolate's standard
 * ECMAScript globals, reaches no Node object or isolated-vm handle through Function,
 * prototypes, Proxy or Error.prepareStackTrace, and cannot forge its result.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { types } from 'node:util';
import type { WorkerBackend, WorkerResult } from '../../sandbox/worker-backend.ts';
import { action, limits, startBackend } from '../support/isolate-harness.ts';

/** The only global names a handler may see. Anything new must be reviewed and added here. */
const GLOBAL_ALLOWLIST = [
  'AggregateError', 'Array', 'ArrayBuffer', 'AsyncDisposableStack', 'BigInt', 'BigInt64Array', 'BigUint64Array',
  'Boolean', 'DataView', 'Date', 'DisposableStack', 'Error', 'EvalError', 'FinalizationRegistry', 'Float16Array',
  'Float32Array', 'Float64Array', 'Function', 'Infinity', 'Int16Array', 'Int32Array', 'Int8Array', 'Intl',
  'Iterator', 'JSON', 'Map', 'Math', 'NaN', 'Number', 'Object', 'Promise', 'Proxy', 'RangeError', 'ReferenceError',
  'Reflect', 'RegExp', 'Set', 'String', 'SuppressedError', 'Symbol', 'SyntaxError', 'TypeError', 'URIError',
  'Uint16Array', 'Uint32Array', 'Uint8Array', 'Uint8ClampedArray', 'WeakMap', 'WeakRef', 'WeakSet',
  'decodeURI', 'decodeURIComponent', 'encodeURI', 'encodeURIComponent', 'escape', 'eval', 'globalThis',
  'isFinite', 'isNaN', 'parseFloat', 'parseInt', 'undefined', 'unescape',
];

describe('isolate escape probes', () => {
  let backend: WorkerBackend;
  before(async () => {
    backend = await startBackend();
  });
  after(() => backend.close());

  const evaluate = (code: string): Promise<WorkerResult> => backend.run(action('js.eval', { code }), limits({ timeoutMs: 5000 }));
  const value = async (code: string): Promise<unknown> => {
    const r = await evaluate(code);
    assert.ok(r.ok, `expected a value, got ${JSON.stringify(r)}`);
    return r.value;
  };

  it('exposes only allowlisted global names (snapshot)', async () => {
    const names = (await value('return Object.getOwnPropertyNames(globalThis)')) as string[];
    const extra = names.filter((n) => !GLOBAL_ALLOWLIST.includes(n));
    assert.deepEqual(extra, [], `globals beyond the allowlist: ${extra.join(', ')}`);
    const symbols = await value('return Object.getOwnPropertySymbols(globalThis).map(String)');
    assert.deepEqual(symbols, []);
  });

  it('has no require, process, timers, console, SharedArrayBuffer, Atomics or WebAssembly', async () => {
    const probe = `return ['require','process','module','Buffer','setTimeout','setInterval','setImmediate','queueMicrotask',
      'console','SharedArrayBuffer','Atomics','WebAssembly','fetch','global','ivm','_ivm'].filter((n) => typeof globalThis[n] !== 'undefined')`;
    assert.deepEqual(await value(probe), []);
  });

  it('finds no process through Function constructors', async () => {
    const probes = [
      "this.constructor.constructor('return typeof process')()",
      "Function('return typeof process')()",
      "[].constructor.constructor('return typeof require')()",
      "await Object.getPrototypeOf(async function () {}).constructor('return typeof process')()",
      "(function () { return typeof this.process })()",
      "eval('typeof process')",
      "new Function('return typeof globalThis.process')()",
    ];
    for (const probe of probes) {
      const v = await value(`return ${probe}`);
      assert.equal(v, 'undefined', `${probe} -> ${String(v)}`);
    }
    const r = await evaluate("return this.constructor.constructor('return process')()");
    assert.deepEqual(r.ok ? r : [r.code, r.message], ['TOOL_ERR_THROWN', 'process is not defined']);
  });

  it('reaches no isolated-vm handle or host function by walking every object from globalThis', async () => {
    const walk = `
      const seen = new Set(); const queue = [globalThis]; const names = new Set();
      while (queue.length > 0 && seen.size < 50000) {
        const o = queue.pop();
        if (o === null || (typeof o !== 'object' && typeof o !== 'function') || seen.has(o)) continue;
        seen.add(o);
        queue.push(Object.getPrototypeOf(o));
        for (const key of Reflect.ownKeys(o)) {
          names.add(String(key));
          const d = Object.getOwnPropertyDescriptor(o, key);
          if (d && 'value' in d) queue.push(d.value);
        }
      }
      return ['derefInto','copySync','copyInto','applySync','applySyncPromise','getSync','setSync','compileScript',
        'compileScriptSync','createContextSync','evalClosureSync','isDisposed','cpuTime','binding','dlopen',
        'mainModule','execPath'].filter((n) => names.has(n));`;
    assert.deepEqual(await value(walk), []);
  });

  it('Error.prepareStackTrace sees only isolate frames: no host file, no host receiver', async () => {
    const probe = `
      const out = [];
      Error.prepareStackTrace = (e, frames) => frames.map((f) => ({
        file: String(f.getFileName()),
        thisIsHost: (() => { const t = f.getThis(); return t !== undefined && t !== null && t !== globalThis && typeof t === 'object' && typeof t.process !== 'undefined'; })(),
      }));
      const frames = new Error('probe').stack;
      Error.prepareStackTrace = undefined;
      return { frames, stack: String(new Error('plain').stack) };`;
    const v = (await value(probe)) as { frames: Array<{ file: string; thisIsHost: boolean }>; stack: string };
    for (const f of v.frames) {
      assert.ok(!/\/work\/|file:|node:|\.ts/.test(f.file), `host file in a frame: ${f.file}`);
      assert.equal(f.thisIsHost, false);
    }
    assert.ok(!/\/work\/|file:|node:|\.ts/.test(v.stack), v.stack);
  });

  it('a Proxy or getter on the result runs only inside the isolate', async () => {
    const v = (await value(`
      return { p: new Proxy({ a: 1 }, { get(t, k) { return k === 'a' ? 'inside' : t[k]; } }), o: { get b() { return 'computed inside'; } } };`)) as Record<string, object>;
    assert.deepEqual(v, { p: { a: 'inside' }, o: { b: 'computed inside' } });
    // what reaches the host is plain data: no Proxy, no accessor, host prototypes
    assert.equal(types.isProxy(v['p']), false);
    assert.equal(Object.getPrototypeOf(v['p']), Object.prototype);
    assert.deepEqual(Object.getOwnPropertyDescriptor(v['o'], 'b'), { value: 'computed inside', writable: true, enumerable: true, configurable: true });
  });

  it('cannot forge its result by replacing JSON.stringify or Promise.prototype.then', async () => {
    assert.deepEqual(await value('JSON.stringify = () => \'"forged"\'; return { real: 1 }'), { real: 1 });
    const r = await evaluate('Promise.prototype.then = function () { return "J\\"forged\\""; }; return { real: 2 }');
    assert.deepEqual(r.ok ? r.value : r, { real: 2 });
  });

  it('cannot import modules', async () => {
    const r = await evaluate("return await import('node:fs')");
    assert.deepEqual(r.ok ? r : [r.code, r.message], ['TOOL_ERR_THROWN', 'Not supported']);
  });

  it('each call sees a fresh context: prototype pollution does not carry over', async () => {
    await value('Array.prototype.push = () => 0; Object.defineProperty(Object.prototype, "x", { get() { return "p" } }); return 1');
    assert.deepEqual(await value('const a = []; a.push(1); return [a.length, ({}).x === undefined]'), [1, true]);
  });
});
