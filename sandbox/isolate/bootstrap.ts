/**
 * The source that runs INSIDE a fresh isolate context for one call. It receives only two
 * strings (the args as JSON text and the handler body), removes the globals a handler has
 * no business seeing, builds the handler with the AsyncFunction constructor (so handler text
 * cannot break out of a wrapper), and serialises the outcome to ONE tagged string inside the
 * isolate, under the isolate's time limit:
 *   "J<json>"  the handler returned a JSON value
 *   "U<why>"   the result is not JSON (undefined, function, BigInt, cycle, symbol)
 *   "O"        the JSON text is longer than maxOutputBytes (UTF-16 units <= UTF-8 bytes)
 *   "E<msg>"   the handler threw; only the message, at most 1024 chars
 * Nothing else crosses: no Reference, no host function, no host object.
 */

/** Globals removed before any handler code runs, and why. */
export const REMOVED_GLOBALS: readonly string[] = Object.freeze([
  'console', // V8's console: no use without an inspector, keep handlers free of host-ish APIs
  'SharedArrayBuffer', // shared memory and high-resolution timing side channels
  'Atomics', // Atomics.wait blocks a thread; only useful with shared memory
  'WebAssembly', // compiles native code; memory outside the JS heap accounting
]);

/** Exact global names a handler may see (standard ECMAScript + ECMA-402 Intl). */
export const ALLOWED_GLOBALS: readonly string[] = Object.freeze([
  'Object', 'Function', 'Array', 'Number', 'parseFloat', 'parseInt', 'Infinity', 'NaN', 'undefined',
  'Boolean', 'String', 'Symbol', 'Date', 'Promise', 'RegExp', 'Error', 'AggregateError', 'EvalError',
  'RangeError', 'ReferenceError', 'SyntaxError', 'TypeError', 'URIError', 'globalThis', 'JSON', 'Math',
  'Intl', 'ArrayBuffer', 'Uint8Array', 'Int8Array', 'Uint16Array', 'Int16Array', 'Uint32Array',
  'Int32Array', 'BigUint64Array', 'BigInt64Array', 'Uint8ClampedArray', 'Float32Array', 'Float64Array',
  'Float16Array', 'DataView', 'Map', 'BigInt', 'Set', 'Iterator', 'WeakMap', 'WeakSet', 'Proxy', 'Reflect',
  'FinalizationRegistry', 'WeakRef', 'decodeURI', 'decodeURIComponent', 'encodeURI', 'encodeURIComponent',
  'escape', 'unescape', 'eval', 'isFinite', 'isNaN', 'SuppressedError', 'DisposableStack',
  'AsyncDisposableStack',
]);

export const MAX_ERROR_MESSAGE = 1024;

/**
 * Body for `context.evalClosure(RUNNER_SOURCE, [argsJson, handlerSource, maxOutputBytes])`;
 * `$0`..`$2` are primitives copied in. Returns a promise of the tagged string.
 */
export const RUNNER_SOURCE = `
'use strict';
const argsJson = $0, handlerSource = $1, maxOutput = $2;
const parse = JSON.parse, stringify = JSON.stringify, toStr = String, then = Promise.prototype.then;
for (const name of ${JSON.stringify(REMOVED_GLOBALS)}) delete globalThis[name];
const describe = (e) => {
  try {
    const m = (e !== null && typeof e === 'object' && typeof e.message === 'string') ? e.message : toStr(e);
    return m.slice(0, ${MAX_ERROR_MESSAGE});
  } catch { return 'error could not be described'; }
};
const finish = (value) => {
  let text;
  try { text = stringify(value); } catch (e) { return 'U' + describe(e); }
  if (typeof text !== 'string') return 'U' + typeof value;
  return text.length > maxOutput ? 'O' : 'J' + text;
};
let run;
try {
  const AsyncFunction = (async function () {}).constructor;
  run = new AsyncFunction('args', handlerSource);
} catch (e) { return 'E' + describe(e); }
let args;
try { args = parse(argsJson); } catch (e) { return 'E' + describe(e); }
return then.call(run(args), finish, (e) => 'E' + describe(e));
`;
