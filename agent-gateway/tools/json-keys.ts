/**
 * The one home of two JSON rules shared by the body parser (http/body.ts) and the args
 * sanitizer (tools/sanitize.ts): the keys that can pollute prototypes once JSON.parse has made
 * them own properties, and the RFC 6901 JSON Pointer escape used in every `instancePath`.
 */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** One JSON Pointer segment for `key` (RFC 6901: `~` → `~0`, `/` → `~1`), with its leading `/`. */
export function pointerSegment(key: string): string {
  return '/' + key.replaceAll('~', '~0').replaceAll('/', '~1');
}
