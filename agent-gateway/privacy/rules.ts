/**
 * Per-origin redaction rules: `{fields:[name], patterns:[regex]}` keyed by a normalized origin.
 * Parsing is pure and strict (caps on counts and lengths). Patterns are RE2 syntax and compile
 * through the one bounded-time regex module (policy/safe-regex.ts): linear-time matching, a
 * program-size cap, no backreferences or lookaround. Field names match case-insensitively
 * after Unicode NFKC folding (see `fieldKey`).
 */
import { compileSafeRegex, REGEX_LIMITS, type SafeRegex } from '../policy/safe-regex.ts';

export const RULE_LIMITS = { maxFields: 64, maxFieldChars: 128, maxPatterns: 32, maxPatternChars: REGEX_LIMITS.sourceChars } as const;

export interface RedactionRule {
  readonly fields: readonly string[];
  readonly patterns: readonly string[];
}

export interface CompiledRule {
  readonly fields: ReadonlySet<string>;
  readonly patterns: readonly SafeRegex[];
  /** a stored pattern no longer compiles (e.g. a rule saved before RE2): every value is masked whole */
  readonly failClosed: boolean;
}

/** How a field/control name is compared with a rule's `fields`: NFKC-folded, lower-case. */
export const fieldKey = (name: string): string => name.normalize('NFKC').toLowerCase();

export type RuleCheck = { ok: true; rule: RedactionRule } | { ok: false; code: 'GW_ERR_VALIDATION'; problems: string[] };

export function parseRedactionRule(input: unknown): RuleCheck {
  const problems: string[] = [];
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return { ok: false, code: 'GW_ERR_VALIDATION', problems: ['rule must be an object {fields, patterns}'] };
  }
  const o = input as Record<string, unknown>;
  for (const k of Object.keys(o)) if (k !== 'fields' && k !== 'patterns') problems.push(`unknown property ${JSON.stringify(k.slice(0, 40))}`);
  const fields = o['fields'] ?? [];
  const patterns = o['patterns'] ?? [];
  if (!Array.isArray(fields) || fields.length > RULE_LIMITS.maxFields) problems.push(`fields must be an array of at most ${RULE_LIMITS.maxFields}`);
  else fields.forEach((f: unknown, i) => {
    if (typeof f !== 'string' || f.length === 0 || f.length > RULE_LIMITS.maxFieldChars) problems.push(`fields[${i}] must be 1..${RULE_LIMITS.maxFieldChars} chars`);
  });
  if (!Array.isArray(patterns) || patterns.length > RULE_LIMITS.maxPatterns) problems.push(`patterns must be an array of at most ${RULE_LIMITS.maxPatterns}`);
  else patterns.forEach((p: unknown, i) => {
    if (typeof p !== 'string' || p.length === 0 || p.length > RULE_LIMITS.maxPatternChars) {
      problems.push(`patterns[${i}] must be 1..${RULE_LIMITS.maxPatternChars} chars`);
      return;
    }
    const c = compileSafeRegex(p);
    if (!c.ok) problems.push(`patterns[${i}]: ${c.message}`);
  });
  if (problems.length > 0) return { ok: false, code: 'GW_ERR_VALIDATION', problems };
  return { ok: true, rule: { fields: [...(fields as string[])], patterns: [...(patterns as string[])] } };
}

/** Compiles a stored rule. A pattern that does not compile (stored before RE2) makes the rule fail closed. */
export function compileRule(rule: RedactionRule): CompiledRule {
  const patterns: SafeRegex[] = [];
  let failClosed = false;
  for (const p of rule.patterns) {
    const c = compileSafeRegex(p);
    if (c.ok) patterns.push(c.regex);
    else failClosed = true;
  }
  return { fields: new Set(rule.fields.filter((f) => typeof f === 'string').map(fieldKey)), patterns, failClosed };
}

type OriginCheck = { ok: true; origin: string } | { ok: false; code: 'GW_ERR_VALIDATION'; problems: string[] };
const badOrigin = (m: string): OriginCheck => ({ ok: false, code: 'GW_ERR_VALIDATION', problems: [m] });

/**
 * THE origin normalisation, used both when a rule is stored and when a page is matched:
 * `scheme://host[:port]` by the WHATWG URL parser (lower case, percent-decoded host, IDNA to
 * punycode, IPv4 forms canonical, default port dropped), then the trailing dot(s) of a DNS
 * name removed (`bank.example.com.` is the same host) and parsed again so the result is a
 * fixed point: normalizeOrigin(normalizeOrigin(x).origin) === normalizeOrigin(x).
 */
export function normalizeOrigin(input: unknown): OriginCheck {
  if (typeof input !== 'string' || input.length === 0 || input.length > 2048) return badOrigin('origin must be a URL');
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return badOrigin('origin must be a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return badOrigin('origin must be http or https');
  if (!url.hostname.startsWith('[') && url.hostname.endsWith('.')) {
    const host = url.hostname.replace(/\.+$/, '');
    if (host === '') return badOrigin('origin must have a host');
    try {
      url = new URL(`${url.protocol}//${host}${url.port === '' ? '' : `:${url.port}`}/`);
    } catch {
      return badOrigin('origin must be a URL');
    }
    if (url.hostname.endsWith('.')) return badOrigin('origin must be a URL');
  }
  return { ok: true, origin: url.origin };
}
