/**
 * Checks on JSON text / values that crossed a boundary (isolate -> host, child -> supervisor).
 * Pure functions; iterative so a hostile nesting depth cannot overflow our stack.
 */
import type { JsonValue } from '../json.ts';

/** Deepest nesting a result may have; deeper results are refused as bad output. */
export const MAX_RESULT_DEPTH = 256;

/** Depth of a parsed JSON value, computed without recursion; stops once over `limit`. */
export function jsonDepthExceeds(value: unknown, limit: number = MAX_RESULT_DEPTH): boolean {
  const stack: Array<{ v: unknown; d: number }> = [{ v: value, d: 0 }];
  while (stack.length > 0) {
    const { v, d } = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (d + 1 > limit) return true;
    const children = Array.isArray(v) ? v : Object.values(v as Record<string, unknown>);
    for (const c of children) if (c !== null && typeof c === 'object') stack.push({ v: c, d: d + 1 });
  }
  return false;
}

export type JsonTextCheck =
  | { readonly ok: true; readonly value: JsonValue; readonly bytes: number }
  | { readonly ok: false; readonly code: 'SBX_ERR_OUTPUT_TOO_LARGE' | 'SBX_ERR_BAD_OUTPUT'; readonly message: string };

/** Parses JSON text that must fit `maxBytes` (UTF-8) and `MAX_RESULT_DEPTH`. */
export function checkJsonText(text: string, maxBytes: number): JsonTextCheck {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > maxBytes) {
    return { ok: false, code: 'SBX_ERR_OUTPUT_TOO_LARGE', message: `result is ${bytes} bytes, limit ${maxBytes}` };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, code: 'SBX_ERR_BAD_OUTPUT', message: 'result is not JSON' };
  }
  if (jsonDepthExceeds(value)) {
    return { ok: false, code: 'SBX_ERR_BAD_OUTPUT', message: `result nests deeper than ${MAX_RESULT_DEPTH}` };
  }
  return { ok: true, value: value as JsonValue, bytes };
}

/** Re-checks a value a worker sent (already parsed from a frame): size and depth. */
export function checkJsonValue(value: unknown, maxBytes: number): JsonTextCheck {
  if (jsonDepthExceeds(value)) {
    return { ok: false, code: 'SBX_ERR_BAD_OUTPUT', message: `result nests deeper than ${MAX_RESULT_DEPTH}` };
  }
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    text = undefined;
  }
  if (text === undefined) return { ok: false, code: 'SBX_ERR_BAD_OUTPUT', message: 'result is not JSON' };
  return checkJsonText(text, maxBytes);
}
