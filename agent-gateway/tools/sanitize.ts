/**
 * Tool-call argument sanitizer: walks an untrusted value ITERATIVELY (explicit stack, so a
 * 1e6-deep structure cannot overflow the call stack) and rebuilds a fresh plain JSON copy.
 *
 * Refused: keys `__proto__`, `constructor`, `prototype`; keys with a control character
 * (U+0000–U+001F, U+007F) or a lone surrogate (GW_ERR_FORBIDDEN_KEY); container depth over
 * maxDepth (the top-level object/array is depth 1); more than maxKeys object keys in total;
 * more than maxNodes values in total (bounds work on shared sub-trees); strings with a lone
 * surrogate (not representable in UTF-8) or over maxStringBytes; anything that is not plain
 * JSON: undefined, functions, symbols, bigint, NaN/±Infinity, class instances, symbol keys,
 * accessor properties (never invoked), array holes (GW_ERR_VALIDATION).
 * Only the first problem is reported; its instancePath is an RFC 6901 JSON Pointer.
 */
import type { JsonValue } from '../../sandbox/json.ts';
import { FORBIDDEN_KEYS, pointerSegment } from './json-keys.ts';

export { pointerSegment };

export interface SanitizeLimits {
  readonly maxDepth: number;
  readonly maxKeys: number;
  readonly maxNodes?: number;
  readonly maxStringBytes?: number;
}

export const DEFAULT_SANITIZE_LIMITS: SanitizeLimits = Object.freeze({ maxDepth: 32, maxKeys: 10_000 });
const DEFAULT_MAX_NODES = 1_000_000;

export interface ArgError { readonly instancePath: string; readonly message: string }
export type SanitizeResult =
  | { readonly ok: true; readonly value: JsonValue }
  | { readonly ok: false; readonly code: 'GW_ERR_VALIDATION' | 'GW_ERR_FORBIDDEN_KEY'; readonly errors: readonly ArgError[] };

const CONTROL_CHAR = /[\u0000-\u001f\u007f]/;

class Refusal {
  readonly code: 'GW_ERR_VALIDATION' | 'GW_ERR_FORBIDDEN_KEY';
  readonly instancePath: string;
  readonly message: string;
  constructor(code: 'GW_ERR_VALIDATION' | 'GW_ERR_FORBIDDEN_KEY', instancePath: string, message: string) {
    this.code = code;
    this.instancePath = instancePath;
    this.message = message;
  }
}

type Container = JsonValue[] | { [key: string]: JsonValue };
interface Task { readonly src: object; readonly dst: Container; readonly path: string; readonly depth: number }

function checkKey(key: string, path: string): void {
  if (FORBIDDEN_KEYS.has(key)) throw new Refusal('GW_ERR_FORBIDDEN_KEY', path, `key "${key}" is not allowed`);
  if (CONTROL_CHAR.test(key)) throw new Refusal('GW_ERR_FORBIDDEN_KEY', path, 'key contains a control character');
  if (!key.isWellFormed()) throw new Refusal('GW_ERR_FORBIDDEN_KEY', path, 'key contains a lone surrogate');
}

export function sanitizeArgs(value: unknown, limits: SanitizeLimits = DEFAULT_SANITIZE_LIMITS): SanitizeResult {
  const maxNodes = limits.maxNodes ?? DEFAULT_MAX_NODES;
  const stack: Task[] = [];
  let keys = 0;
  let nodes = 0;

  // Copies one value; containers are created empty and queued for filling.
  const copy = (v: unknown, path: string, depth: number): JsonValue => {
    nodes += 1;
    if (nodes > maxNodes) throw new Refusal('GW_ERR_VALIDATION', path, `more than ${maxNodes} values`);
    switch (typeof v) {
      case 'string':
        if (!v.isWellFormed()) throw new Refusal('GW_ERR_VALIDATION', path, 'string contains a lone surrogate');
        if (limits.maxStringBytes !== undefined && Buffer.byteLength(v, 'utf8') > limits.maxStringBytes) {
          throw new Refusal('GW_ERR_VALIDATION', path, `string longer than ${limits.maxStringBytes} bytes`);
        }
        return v;
      case 'boolean':
        return v;
      case 'number':
        if (!Number.isFinite(v)) throw new Refusal('GW_ERR_VALIDATION', path, 'number is not finite');
        return v;
      case 'object': {
        if (v === null) return null;
        if (depth + 1 > limits.maxDepth) throw new Refusal('GW_ERR_VALIDATION', path, `nesting deeper than ${limits.maxDepth}`);
        const proto: unknown = Object.getPrototypeOf(v);
        let dst: Container;
        if (Array.isArray(v) && proto === Array.prototype) dst = [];
        else if (!Array.isArray(v) && (proto === Object.prototype || proto === null)) dst = {};
        else throw new Refusal('GW_ERR_VALIDATION', path, 'value is not plain JSON');
        stack.push({ src: v, dst, path, depth: depth + 1 });
        return dst;
      }
      default:
        throw new Refusal('GW_ERR_VALIDATION', path, `value of type ${typeof v} is not JSON`);
    }
  };

  const readOwn = (src: object, key: string, path: string): unknown => {
    const desc = Object.getOwnPropertyDescriptor(src, key);
    if (desc === undefined) throw new Refusal('GW_ERR_VALIDATION', path, 'array has a hole');
    if (!('value' in desc)) throw new Refusal('GW_ERR_VALIDATION', path, 'accessor properties are not JSON');
    return desc.value;
  };

  const fill = (task: Task): void => {
    if (Array.isArray(task.dst)) {
      const length = (task.src as unknown[]).length;
      if (nodes + length > maxNodes) throw new Refusal('GW_ERR_VALIDATION', task.path, `more than ${maxNodes} values`);
      for (let i = 0; i < length; i += 1) {
        const p = `${task.path}/${i}`;
        task.dst.push(copy(readOwn(task.src, String(i), p), p, task.depth));
      }
      return;
    }
    const own = Reflect.ownKeys(task.src);
    if (keys + own.length > limits.maxKeys) throw new Refusal('GW_ERR_VALIDATION', task.path, `more than ${limits.maxKeys} keys in total`);
    keys += own.length;
    const dst = task.dst;
    for (const key of own) {
      if (typeof key !== 'string') throw new Refusal('GW_ERR_VALIDATION', task.path, 'symbol keys are not JSON');
      const p = task.path + pointerSegment(key);
      checkKey(key, p);
      const desc = Object.getOwnPropertyDescriptor(task.src, key);
      if (desc === undefined || !desc.enumerable) throw new Refusal('GW_ERR_VALIDATION', p, 'non-enumerable properties are not JSON');
      const child = copy(readOwn(task.src, key, p), p, task.depth);
      Object.defineProperty(dst, key, { value: child, enumerable: true, writable: true, configurable: true });
    }
  };

  try {
    const root = copy(value, '', 0);
    for (let task = stack.pop(); task !== undefined; task = stack.pop()) fill(task);
    return { ok: true, value: root };
  } catch (err) {
    if (err instanceof Refusal) {
      return { ok: false, code: err.code, errors: [{ instancePath: err.instancePath, message: err.message }] };
    }
    // a hostile in-process value (e.g. a Proxy whose traps throw): refuse, never rethrow
    return { ok: false, code: 'GW_ERR_VALIDATION', errors: [{ instancePath: '', message: 'value could not be read as JSON' }] };
  }
}
