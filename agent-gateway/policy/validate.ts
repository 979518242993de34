/**
 * PUT /admin/policy body → a rebuilt PolicyDoc, or every problem found as
 * `{instancePath, message}` (the gateway answers 422). Shape is checked by ajv (strict, no
 * coercion, no defaults, no removal, first error only); semantics (glob syntax, regex safety,
 * unique ids, ranges) by hand.
 */
import { Ajv } from 'ajv';
import type { JsonValue } from '../../sandbox/json.ts';
import { checkGlob, GLOB_MAX_LENGTH } from './glob.ts';
import { checkRegexSource, REGEX_MAX_LENGTH } from './safe-regex.ts';
import { TOOL_TAGS } from './tags.ts';
import type { Effect, PolicyDoc, PolicyRule, Predicate, RiskLevel, RiskPolicy, TaintRule, ValidationIssue } from './types.ts';

export const POLICY_LIMITS = {
  rules: 256,
  globsPerRule: 64,
  predicatesPerRule: 16,
  idLength: 64,
  argLength: 128,
  prefixLength: 1024,
  equalsJsonLength: 4096,
  taintRules: 64,
  /** taint and risk windows: at most 7 days */
  windowSeconds: 604_800,
  riskScore: 1_000_000,
} as const;

export const RISK_LEVELS: readonly RiskLevel[] = ['low', 'medium', 'high', 'critical'];

const L = POLICY_LIMITS;
const arg = { type: 'string', minLength: 1, maxLength: L.argLength };
const predicate = {
  oneOf: [
    { type: 'object', additionalProperties: false, required: ['arg', 'equals'], properties: { arg, equals: {} } },
    {
      type: 'object', additionalProperties: false, required: ['arg', 'prefix'],
      properties: { arg, prefix: { type: 'string', minLength: 1, maxLength: L.prefixLength } },
    },
    {
      type: 'object', additionalProperties: false, required: ['arg', 'regex'],
      properties: { arg, regex: { type: 'string', minLength: 1, maxLength: 16 * REGEX_MAX_LENGTH } },
    },
    {
      type: 'object', additionalProperties: false, required: ['arg'], minProperties: 2,
      properties: { arg, min: { type: 'number' }, max: { type: 'number' } },
    },
  ],
};
const globs = {
  type: 'array', minItems: 1, maxItems: L.globsPerRule,
  items: { type: 'string', minLength: 1, maxLength: GLOB_MAX_LENGTH },
};
const idSchema = { type: 'string', pattern: `^[A-Za-z0-9_.:-]{1,${L.idLength}}$` };
const tags = { type: 'array', minItems: 1, maxItems: TOOL_TAGS.length, uniqueItems: true, items: { enum: [...TOOL_TAGS] } };
const windowSeconds = { type: 'integer', minimum: 1, maximum: L.windowSeconds };
const score = { type: 'number', minimum: 0, maximum: L.riskScore };
const schema = {
  type: 'object', additionalProperties: false, required: ['rules'],
  properties: {
    taint: {
      type: 'array', maxItems: L.taintRules,
      items: {
        type: 'object', additionalProperties: false, required: ['id', 'on', 'block', 'window_seconds'],
        properties: { id: idSchema, on: tags, block: tags, window_seconds: windowSeconds },
      },
    },
    risk: {
      type: 'object', additionalProperties: false, required: ['scores', 'window_seconds', 'escalate_at', 'deny_at'],
      properties: {
        scores: {
          type: 'object', additionalProperties: false, required: [...RISK_LEVELS],
          properties: Object.fromEntries(RISK_LEVELS.map((k) => [k, score])),
        },
        window_seconds: windowSeconds, escalate_at: score, deny_at: score,
      },
    },
    rules: {
      type: 'array', maxItems: L.rules,
      items: {
        type: 'object', additionalProperties: false, required: ['id', 'effect', 'agents', 'tools'],
        properties: {
          id: { type: 'string', pattern: `^[A-Za-z0-9_.:-]{1,${L.idLength}}$` },
          effect: { enum: ['allow', 'deny', 'require_approval'] },
          agents: globs,
          tools: globs,
          delegated_from: globs,
          when: { oneOf: [predicate, { type: 'array', minItems: 1, maxItems: L.predicatesPerRule, items: predicate }] },
        },
      },
    },
  },
};

const ajv = new Ajv({ strict: true, allErrors: false });
const checkShape = ajv.compile(schema);

export type PolicyValidation = { ok: true; doc: PolicyDoc } | { ok: false; errors: ValidationIssue[] };

// Shapes after ajv has accepted the input.
interface RawPredicate { arg: string; equals?: JsonValue; prefix?: string; regex?: string; min?: number; max?: number }
interface RawRule { id: string; effect: Effect; agents: string[]; tools: string[]; delegated_from?: string[]; when?: RawPredicate | RawPredicate[] }
interface RawDoc { rules: RawRule[]; taint?: TaintRule[]; risk?: RiskPolicy }

export function validatePolicy(input: unknown): PolicyValidation {
  if (!checkShape(input)) {
    const e = checkShape.errors?.[0];
    return { ok: false, errors: [{ instancePath: e?.instancePath ?? '', message: e?.message ?? 'invalid policy document' }] };
  }
  const raw = input as unknown as RawDoc;
  const errors: ValidationIssue[] = [];
  const seen = new Set<string>();
  const rules: PolicyRule[] = [];
  raw.rules.forEach((r, i) => {
    const at = `/rules/${i}`;
    if (r.id.startsWith('default:')) errors.push({ instancePath: `${at}/id`, message: 'ids starting with "default:" are reserved' });
    if (seen.has(r.id)) errors.push({ instancePath: `${at}/id`, message: `duplicate rule id "${r.id}"` });
    seen.add(r.id);
    for (const field of ['agents', 'tools', 'delegated_from'] as const) {
      (r[field] ?? []).forEach((g, j) => {
        const c = checkGlob(g);
        if (!c.ok) errors.push({ instancePath: `${at}/${field}/${j}`, message: c.message });
      });
    }
    const list = r.when === undefined ? [] : Array.isArray(r.when) ? r.when : [r.when];
    const when: Predicate[] = [];
    list.forEach((p, j) => {
      const pAt = Array.isArray(r.when) ? `${at}/when/${j}` : `${at}/when`;
      const built = buildPredicate(p, pAt, errors);
      if (built !== undefined) when.push(built);
    });
    rules.push(Object.freeze({
      id: r.id, effect: r.effect, agents: Object.freeze([...r.agents]), tools: Object.freeze([...r.tools]),
      when: Object.freeze(when),
      ...(r.delegated_from === undefined ? {} : { delegated_from: Object.freeze([...r.delegated_from]) }),
    }));
  });
  const taint: TaintRule[] = [];
  (raw.taint ?? []).forEach((t, i) => {
    const at = `/taint/${i}/id`;
    if (t.id.startsWith('default:') || t.id.startsWith('risk:')) errors.push({ instancePath: at, message: 'ids starting with "default:" or "risk:" are reserved' });
    if (seen.has(t.id)) errors.push({ instancePath: at, message: `duplicate rule id "${t.id}" (taint and policy rule ids share one namespace)` });
    seen.add(t.id);
    taint.push(Object.freeze({ id: t.id, on: Object.freeze([...t.on].sort()), block: Object.freeze([...t.block].sort()), window_seconds: t.window_seconds }));
  });
  for (const r of rules) {
    if (r.id.startsWith('risk:')) errors.push({ instancePath: `/rules/${rules.indexOf(r)}/id`, message: 'ids starting with "risk:" are reserved' });
  }
  let risk: RiskPolicy | undefined;
  if (raw.risk !== undefined) {
    const k = raw.risk;
    if (k.escalate_at > k.deny_at) errors.push({ instancePath: '/risk/escalate_at', message: 'escalate_at must not exceed deny_at' });
    risk = Object.freeze({
      scores: Object.freeze(Object.fromEntries(RISK_LEVELS.map((l) => [l, k.scores[l]])) as Record<RiskLevel, number>),
      window_seconds: k.window_seconds, escalate_at: k.escalate_at, deny_at: k.deny_at,
    });
  }
  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    doc: Object.freeze({
      rules: Object.freeze(rules),
      ...(raw.taint === undefined ? {} : { taint: Object.freeze(taint) }),
      ...(risk === undefined ? {} : { risk }),
    }),
  };
}

function buildPredicate(p: RawPredicate, at: string, errors: ValidationIssue[]): Predicate | undefined {
  if ('equals' in p) {
    const text = JSON.stringify(p.equals);
    if (text.length > L.equalsJsonLength) {
      errors.push({ instancePath: `${at}/equals`, message: `must serialize to at most ${L.equalsJsonLength} characters` });
      return undefined;
    }
    return { kind: 'equals', arg: p.arg, equals: JSON.parse(text) as JsonValue };
  }
  if (p.prefix !== undefined) return { kind: 'prefix', arg: p.arg, prefix: p.prefix };
  if (p.regex !== undefined) {
    const c = checkRegexSource(p.regex);
    if (!c.ok) {
      errors.push({ instancePath: `${at}/regex`, message: c.message });
      return undefined;
    }
    return { kind: 'regex', arg: p.arg, regex: p.regex };
  }
  const { min, max } = p;
  for (const [k, v] of [['min', min], ['max', max]] as const) {
    if (v !== undefined && !Number.isFinite(v)) errors.push({ instancePath: `${at}/${k}`, message: 'must be a finite number' });
  }
  if (min !== undefined && max !== undefined && min > max) {
    errors.push({ instancePath: at, message: 'min must not exceed max' });
    return undefined;
  }
  return { kind: 'range', arg: p.arg, ...(min === undefined ? {} : { min }), ...(max === undefined ? {} : { max }) };
}

/** The document as it is shown back to admins (GET /admin/policy) and stored. */
export function policyToJson(doc: PolicyDoc): { rules: Record<string, JsonValue>[]; taint?: JsonValue; risk?: JsonValue } {
  return {
    ...(doc.taint === undefined ? {} : {
      taint: doc.taint.map((t) => ({ id: t.id, on: [...t.on], block: [...t.block], window_seconds: t.window_seconds })),
    }),
    ...(doc.risk === undefined ? {} : {
      risk: { scores: { ...doc.risk.scores }, window_seconds: doc.risk.window_seconds, escalate_at: doc.risk.escalate_at, deny_at: doc.risk.deny_at },
    }),
    rules: doc.rules.map((r) => {
      const when = r.when.map((p): Record<string, JsonValue> => {
        switch (p.kind) {
          case 'equals': return { arg: p.arg, equals: p.equals };
          case 'prefix': return { arg: p.arg, prefix: p.prefix };
          case 'regex': return { arg: p.arg, regex: p.regex };
          case 'range': return { arg: p.arg, ...(p.min === undefined ? {} : { min: p.min }), ...(p.max === undefined ? {} : { max: p.max }) };
          default: return assertNever(p);
        }
      });
      return {
        id: r.id, effect: r.effect, agents: [...r.agents], tools: [...r.tools],
        ...(r.delegated_from === undefined ? {} : { delegated_from: [...r.delegated_from] }),
        ...(when.length > 0 ? { when } : {}),
      };
    }),
  };
}

function assertNever(x: never): never {
  throw new Error(`unexpected predicate ${JSON.stringify(x)}`);
}
