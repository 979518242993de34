/**
 * What audit lines, approval listings and logs show of a call's args: values under keys that
 * name secrets are replaced, long strings are cut, and the shape is kept. The full args are
 * never logged; their sha256 (canonical JSON) identifies them.
 */
import type { JsonValue } from '../../sandbox/json.ts';

const SECRET_KEY = /pass(word|wd)?|secret|token|api[_-]?key|auth|credential|cookie|session|private/i;
const MAX_STRING = 256;
const MAX_ITEMS = 64;
const MAX_DEPTH = 8;

export function redactArgs(value: JsonValue, depth = 0): JsonValue {
  if (typeof value === 'string') return value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}…[${value.length} chars]` : value;
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[…]';
  if (Array.isArray(value)) {
    const items = value.slice(0, MAX_ITEMS).map((v) => redactArgs(v, depth + 1));
    if (value.length > MAX_ITEMS) items.push(`[+${value.length - MAX_ITEMS} items]`);
    return items;
  }
  const out: Record<string, JsonValue> = {};
  let n = 0;
  for (const [k, v] of Object.entries(value)) {
    if (n++ >= MAX_ITEMS) {
      out['…'] = `[+${Object.keys(value).length - MAX_ITEMS} keys]`;
      break;
    }
    out[k] = SECRET_KEY.test(k) ? '[REDACTED]' : redactArgs(v, depth + 1);
  }
  return out;
}
