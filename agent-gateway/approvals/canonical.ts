/**
 * Canonical JSON (object keys sorted by UTF-16 code unit, no whitespace, ES number form) and the
 * args digest that binds an approval to one exact call: sha256 hex of canonical `{tool, args}`.
 * Anything that is not plain JSON (undefined, functions, non-finite numbers, class instances,
 * cycles) throws instead of being silently dropped.
 */
import { createHash } from 'node:crypto';
import { isPlainObject } from '../../sandbox/json.ts';

const MAX_DEPTH = 64;

export function canonicalJson(value: unknown): string {
  return write(value, 0);
}

function write(v: unknown, depth: number): string {
  if (depth > MAX_DEPTH) throw new TypeError('value nested too deeply for canonical JSON');
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new TypeError('non-finite number is not JSON');
    return JSON.stringify(v);
  }
  if (Array.isArray(v)) return `[${v.map((x) => write(x, depth + 1)).join(',')}]`;
  if (isPlainObject(v)) {
    const keys = Object.keys(v).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${write(v[k], depth + 1)}`).join(',')}}`;
  }
  throw new TypeError(`${typeof v} is not JSON`);
}

export function argsSha256(tool: string, args: unknown): string {
  return createHash('sha256').update(canonicalJson({ tool, args }), 'utf8').digest('hex');
}
