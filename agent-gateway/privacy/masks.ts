/**
 * Built-in value masks: card numbers (13–19 digits, Luhn-checked, spaces/dashes allowed),
 * bearer tokens, well-known API key shapes, JWTs and long high-entropy tokens; and the
 * field-name test for secrets (password, passwd, pwd, token, api key, cvv, …). The built-in
 * masks are fixed, reviewed JS regexes without nested quantifiers; operator patterns (`extra`)
 * run on RE2 under the caller's work budget (policy/safe-regex.ts).
 */
import { RegexBudget, regexReplaceAll, type SafeRegex } from '../policy/safe-regex.ts';

export const MASK = '[REDACTED]';

const SENSITIVE_PARTS = [
  'password', 'passwd', 'passphrase', 'passcode', 'pwd', 'secret', 'token', 'apikey', 'accesskey',
  'privatekey', 'credential', 'otp', 'onetimecode', 'cvv', 'cvc', 'csc', 'cardnumber', 'ccnumber',
  'ccnum', 'creditcard', 'iban', 'ssn', 'authorization', 'cookie', 'session',
];
const SENSITIVE_EXACT = new Set(['pin', 'pass', 'auth', 'cc', 'sid']);

/** Whether a form field name denotes a secret. Case, separators and camelCase are ignored. */
export function isSensitiveName(name: string): boolean {
  const squashed = name.normalize('NFKC').toLowerCase().replace(/[^a-z0-9]/g, '');
  return SENSITIVE_EXACT.has(squashed) || SENSITIVE_PARTS.some((p) => squashed.includes(p));
}

export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

function entropy(text: string): number {
  const counts = new Map<string, number>();
  for (const ch of text) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / text.length;
    h -= p * Math.log2(p);
  }
  return h;
}

const CARD = /(?<![\d])\d(?:[ -]?\d){12,18}(?![\d])/g;
const TOKEN_PATTERNS: readonly RegExp[] = [
  /\bBearer\s+[A-Za-z0-9\-._~+/]+=*/gi,
  /\b(?:sk|pk|rk)-[A-Za-z0-9_-]{16,}/g,
  /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g,
  /\bgh[pousr]_[A-Za-z0-9]{30,}\b/g,
  /\bxox[abposr]-[A-Za-z0-9-]{10,}/g,
  /\bAIza[0-9A-Za-z_-]{35}\b/g,
  /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g,
];
const LONG_TOKEN = /[A-Za-z0-9_\-+/]{32,}={0,2}/g;

/**
 * Applies built-in masks then `extra` patterns; returns the text and whether anything changed.
 * When a cap of the regex module refuses a pattern run (value over 64 KiB, budget spent), the
 * whole value is masked: redaction fails closed.
 */
export function maskValue(text: string, extra: readonly SafeRegex[] = [], budget: RegexBudget = new RegexBudget()): { text: string; changed: boolean } {
  let out = text.replace(CARD, (m) => {
    const digits = m.replace(/[ -]/g, '');
    return digits.length >= 13 && digits.length <= 19 && luhnValid(digits) ? MASK : m;
  });
  for (const re of TOKEN_PATTERNS) out = out.replace(re, MASK);
  out = out.replace(LONG_TOKEN, (m) => (/[0-9]/.test(m) && /[A-Za-z]/.test(m) && entropy(m) >= 3.5 ? MASK : m));
  for (const re of extra) {
    const next = regexReplaceAll(re, out, MASK, budget);
    if (next === undefined) return { text: MASK, changed: text !== MASK };
    out = next;
  }
  return { text: out, changed: out !== text };
}
