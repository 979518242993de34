/**
 * The one redaction of a call's args, used wherever args are shown but not revealed: audit
 * lines, the approval list/item views, the approvals stream and logs.
 *   - keys that name secrets (privacy/masks.ts isSensitiveName: password, passwd, pwd, pass,
 *     secret, token, api_key, authorization, cookie, session, credential, cvv, card number…, and
 *     anything containing auth/private) → their whole value becomes `[REDACTED]`;
 *   - string values anywhere are masked by the built-in value masks (privacy/masks.ts
 *     maskValue: Luhn-valid card numbers, bearer tokens, well-known API-key shapes, JWTs, long
 *     high-entropy tokens), then long strings are cut;
 *   - the shape is kept, with item/key/depth caps.
 * The exact args are only ever shown by the audited admin reveal (GET /approvals/:id?reveal=true);
 * their sha256 (canonical JSON) identifies them everywhere else.
 */
import type { JsonValue } from '../../sandbox/json.ts';
import { isSensitiveName, MASK, maskValue } from '../privacy/masks.ts';

const SECRET_KEY = /pass(word|wd)?|pwd|secret|token|api[_-]?key|auth|credential|cookie|session|private/i;
const MAX_STRING = 256;
const MAX_ITEMS = 64;
const MAX_DEPTH = 8;

/** Whether an args key names a secret (its value is never shown unrevealed). */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key) || isSensitiveName(key);
}

function redactString(value: string): string {
  const masked = maskValue(value).text;
  return masked.length > MAX_STRING ? `${masked.slice(0, MAX_STRING)}…[${value.length} chars]` : masked;
}

export function redactArgs(value: JsonValue, depth = 0): JsonValue {
  if (typeof value === 'string') return redactString(value);
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
    out[k] = isSecretKey(k) ? MASK : redactArgs(v, depth + 1);
  }
  return out;
}
