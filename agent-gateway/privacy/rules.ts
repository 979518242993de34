/**
 * Per-origin redaction rules: `{fields:[name], patterns:[regex]}` keyed by a normalized origin.
 * Parsing is pure and strict (caps on counts and lengths, patterns must compile, nested
 * quantifiers refused as a ReDoS guard). Field names match case-insensitively.
 */
export const RULE_LIMITS = { maxFields: 64, maxFieldChars: 128, maxPatterns: 32, maxPatternChars: 256 } as const;

export interface RedactionRule {
  readonly fields: readonly string[];
  readonly patterns: readonly string[];
}

export interface CompiledRule {
  readonly fields: ReadonlySet<string>;
  readonly patterns: readonly RegExp[];
}

export type RuleCheck = { ok: true; rule: RedactionRule } | { ok: false; code: 'GW_ERR_VALIDATION'; problems: string[] };

const NESTED_QUANTIFIER = /\((?:[^()\\]|\\.)*[+*}](?:[^()\\]|\\.)*\)\s*(?:[+*]|\{\d)/;

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
    try {
      new RegExp(p, 'gu');
    } catch {
      problems.push(`patterns[${i}] is not a valid regular expression`);
      return;
    }
    if (NESTED_QUANTIFIER.test(p)) problems.push(`patterns[${i}] has a nested quantifier (catastrophic backtracking risk)`);
  });
  if (problems.length > 0) return { ok: false, code: 'GW_ERR_VALIDATION', problems };
  return { ok: true, rule: { fields: [...(fields as string[])], patterns: [...(patterns as string[])] } };
}

export function compileRule(rule: RedactionRule): CompiledRule {
  return { fields: new Set(rule.fields.map((f) => f.toLowerCase())), patterns: rule.patterns.map((p) => new RegExp(p, 'gu')) };
}

/** `scheme://host[:port]` as URL.origin prints it (lowercase, punycode, default port omitted). */
export function normalizeOrigin(input: unknown): { ok: true; origin: string } | { ok: false; code: 'GW_ERR_VALIDATION'; problems: string[] } {
  if (typeof input !== 'string' || input.length === 0 || input.length > 2048) return { ok: false, code: 'GW_ERR_VALIDATION', problems: ['origin must be a URL'] };
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return { ok: false, code: 'GW_ERR_VALIDATION', problems: ['origin must be a URL'] };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { ok: false, code: 'GW_ERR_VALIDATION', problems: ['origin must be http or https'] };
  return { ok: true, origin: url.origin };
}
