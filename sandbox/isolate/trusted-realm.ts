/**
 * Trusted handlers (manifest `"trusted": true`: the built-ins other than js.eval, and operator
 * tools the operator vouches for) run in a LONG-LIVED context of a hardened realm instead of a
 * fresh context per call (issue 12: ≈ 4 µs+ per call instead of a context build per call).
 *
 * The realm, built once per memory size in each isolate host:
 *   1. a fresh isolate and context;
 *   2. SES `lockdown()` (ses/dist/lockdown.umd.min.js): every intrinsic (Object.prototype,
 *      Array.prototype, Map.prototype, Error, JSON, Math, …) is frozen and the Function
 *      constructors are tamed; then every global outside ALLOWED_GLOBALS (lockdown, harden,
 *      Compartment, assert, console, …) is deleted and `harden(globalThis)` freezes the global object and everything reachable from it;
 *   3. one hardened factory, holding the real AsyncFunction constructor captured before
 *      lockdown (never reachable from handler code: `(async () => {}).constructor` there is
 *      SES's throwing one). Each handler source is compiled ONCE into a hardened function
 *      and cached here; a call passes in only the args JSON text and the output cap
 *      (primitives) and gets back one tagged string (bootstrap.ts encoding).
 * So no call can leave anything a later call can read: there is no writable global, prototype
 * or intrinsic, the handler's own locals are per invocation, the handler function object is
 * frozen, and no timer API exists in the realm (test/security/trusted-realm-leaks.test.ts, the
 * leak battery, across agents). A timeout, CPU or memory stop disposes the isolate, and with it
 * the realm; the next call builds a new one.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import ivm from 'isolated-vm';
import { ALLOWED_GLOBALS, MAX_ERROR_MESSAGE } from './bootstrap.ts';
import { raceInIsolate, type IsolateJob, type IsolateOutcome } from './run-in-isolate.ts';

const require = createRequire(import.meta.url);
let sesSource: string | undefined;
/** the SES lockdown bundle (read once per host process) */
function lockdownSource(): string {
  sesSource ??= readFileSync(join(dirname(require.resolve('ses')), 'lockdown.umd.min.js'), 'utf8');
  return sesSource;
}

/** Runs in the realm after the lockdown bundle; returns the hardened compile(handlerSource). */
export const REALM_SETUP_SOURCE = `
(() => {
  'use strict';
  const AsyncFunction = (async function () {}).constructor; // captured before lockdown tames it
  const parse = JSON.parse, stringify = JSON.stringify, toStr = String, then = Promise.prototype.then;
  lockdown({ errorTaming: 'safe', overrideTaming: 'moderate', stackFiltering: 'concise', consoleTaming: 'unsafe' });
  const h = harden;
  // lockdown's own globals (lockdown, harden, Compartment, assert, …) and REMOVED_GLOBALS go:
  // what stays is exactly the allowlist the fresh contexts offer
  const allowed = ${JSON.stringify(ALLOWED_GLOBALS)};
  for (const name of Reflect.ownKeys(globalThis)) if (typeof name !== 'string' || !allowed.includes(name)) delete globalThis[name];
  h(globalThis);
  const describe = (e) => {
    try {
      const m = (e !== null && typeof e === 'object' && typeof e.message === 'string') ? e.message : toStr(e);
      return m.slice(0, ${MAX_ERROR_MESSAGE});
    } catch { return 'error could not be described'; }
  };
  const finish = (value, maxOutput) => {
    let text;
    try { text = stringify(value); } catch (e) { return 'U' + describe(e); }
    if (typeof text !== 'string') return 'U' + typeof value;
    return text.length > maxOutput ? 'O' : 'J' + text;
  };
  return h((handlerSource) => {
    let run;
    try { run = h(new AsyncFunction('args', handlerSource)); } catch (e) {
      const failed = 'E' + describe(e);
      return h(() => failed);
    }
    return h((argsJson, maxOutput) => {
      let args;
      try { args = parse(argsJson); } catch (e) { return 'E' + describe(e); }
      try {
        return then.call(run(args), (v) => finish(v, maxOutput), (e) => 'E' + describe(e));
      } catch (e) { return 'E' + describe(e); }
    });
  });
})()
`;

/** compiled handlers kept per realm; the oldest is released beyond this */
const MAX_HANDLERS = 128;

interface Realm {
  readonly isolate: ivm.Isolate;
  readonly context: ivm.Context;
  readonly compile: ivm.Reference;
  readonly handlers: Map<string, ivm.Reference>;
}

export interface TrustedRealmsOptions {
  readonly onCatastrophicError: (message: string) => void;
}

export class TrustedRealms {
  readonly #options: TrustedRealmsOptions;
  readonly #realms = new Map<number, Promise<Realm>>();
  #closed = false;

  constructor(options: TrustedRealmsOptions) {
    this.#options = options;
  }

  /** builds the realm of this memory size ahead of its first call (off the request path) */
  prepare(memoryMb: number): Promise<void> {
    return this.#realm(memoryMb).then(() => undefined);
  }

  async run(memoryMb: number, job: IsolateJob): Promise<IsolateOutcome> {
    let realm: Realm;
    try {
      realm = await this.#realm(memoryMb);
    } catch (error) {
      this.#realms.delete(memoryMb);
      return { ok: false, code: 'SBX_ERR_WORKER_CRASHED', message: `trusted realm could not be built: ${String(error).slice(0, 200)}` };
    }
    let fn = realm.handlers.get(job.handler);
    if (fn === undefined) {
      try {
        fn = (await realm.compile.apply(undefined, [job.handler], { arguments: { copy: true }, result: { reference: true }, timeout: job.timeoutMs })) as ivm.Reference;
      } catch (error) {
        this.#retire(memoryMb, realm);
        return { ok: false, code: 'TOOL_ERR_THROWN', message: `handler could not be compiled: ${String(error).slice(0, 200)}` };
      }
      realm.handlers.set(job.handler, fn);
      if (realm.handlers.size > MAX_HANDLERS) {
        const [oldest, ref] = realm.handlers.entries().next().value as [string, ivm.Reference];
        realm.handlers.delete(oldest);
        ref.release();
      }
    }
    const call = fn;
    const outcome = await raceInIsolate(realm.isolate, job, () => call.apply(undefined, [job.argsJson, job.maxOutputBytes], {
      arguments: { copy: true }, result: { promise: true, copy: true }, timeout: job.timeoutMs,
    }));
    // a stopped or failed-by-limit call may leave the isolate unwell: the next call gets a new realm
    if (!outcome.ok && (outcome.code === 'SBX_ERR_TIMEOUT' || outcome.code === 'SBX_ERR_MEMORY_LIMIT' || realm.isolate.isDisposed)) this.#retire(memoryMb, realm);
    return outcome;
  }

  close(): void {
    this.#closed = true;
    for (const p of this.#realms.values()) p.then((r) => dispose(r.isolate), () => undefined);
    this.#realms.clear();
  }

  #retire(memoryMb: number, realm: Realm): void {
    if (this.#realms.get(memoryMb) !== undefined) this.#realms.delete(memoryMb);
    dispose(realm.isolate);
  }

  #realm(memoryMb: number): Promise<Realm> {
    if (this.#closed) return Promise.reject(new Error('closed'));
    let p = this.#realms.get(memoryMb);
    if (p === undefined) {
      p = build(memoryMb, this.#options);
      p.catch(() => this.#realms.delete(memoryMb));
      this.#realms.set(memoryMb, p);
    }
    return p;
  }
}

async function build(memoryMb: number, options: TrustedRealmsOptions): Promise<Realm> {
  const isolate = new ivm.Isolate({ memoryLimit: memoryMb, onCatastrophicError: options.onCatastrophicError });
  try {
    const context = await isolate.createContext();
    const ses = await isolate.compileScript(lockdownSource(), { filename: 'ses-lockdown.js' });
    await ses.run(context, { timeout: 10_000 });
    ses.release();
    const compile = (await context.eval(REALM_SETUP_SOURCE, { reference: true, timeout: 10_000 })) as ivm.Reference;
    return { isolate, context, compile, handlers: new Map() };
  } catch (error) {
    dispose(isolate);
    throw error;
  }
}

function dispose(isolate: ivm.Isolate): void {
  try {
    if (!isolate.isDisposed) isolate.dispose();
  } catch {
    /* already gone */
  }
}
