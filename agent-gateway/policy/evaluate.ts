/**
 * The policy decision for one tool call. Pure: same document + input → same decision.
 * Among the rules that match (agent glob, tool glob, `delegated_from` ancestor glob, every `when` predicate):
 *   deny > require_approval > allow, first such rule in document order names the decision.
 * Explicit rules win over the tool manifest's default; nothing matched → the manifest default
 * (requires_approval or risk "high" → require_approval "default:approval", else allow
 * "default:allow"). A regex predicate that cannot be evaluated safely makes the decision deny
 * (fail closed) with that rule's id.
 */
import type { JsonValue } from '../../sandbox/json.ts';
import { isPlainObject } from '../../sandbox/json.ts';
import { anyGlobMatches } from './glob.ts';
import { safeRegexTestMany } from './safe-regex.ts';
import type { Effect, PolicyDoc, PolicyRule, Predicate } from './types.ts';

export type Risk = 'low' | 'medium' | 'high';

export interface PolicyInput {
  readonly agentId: string;
  readonly tool: string;
  readonly args: unknown;
  readonly manifest: { readonly risk: Risk; readonly requires_approval: boolean };
  /** the agent's delegation ancestors, root first ([] or absent: not delegated) */
  readonly chain?: readonly string[];
}

export interface PolicyDecision {
  readonly effect: Effect;
  readonly ruleId: string;
  /** set when a predicate could not be evaluated and the engine failed closed */
  readonly reason?: 'predicate_unevaluable';
}

const RANK: Record<Effect, number> = { allow: 0, require_approval: 1, deny: 2 };

export function evaluate(doc: PolicyDoc, input: PolicyInput): PolicyDecision {
  const chain = input.chain ?? [];
  const candidates = doc.rules.filter((r) => anyGlobMatches(r.agents, input.agentId) && anyGlobMatches(r.tools, input.tool)
    // delegated_from: only a delegated agent, with an ancestor matching one of the globs
    && (r.delegated_from === undefined || chain.some((a) => anyGlobMatches(r.delegated_from as readonly string[], a))));
  const regex = regexResults(candidates, input.args);
  let best: PolicyRule | undefined;
  for (const rule of candidates) {
    const m = predicatesHold(rule.when, input.args, regex);
    if (m === 'unevaluable') return { effect: 'deny', ruleId: rule.id, reason: 'predicate_unevaluable' };
    if (!m) continue;
    if (best === undefined || RANK[rule.effect] > RANK[best.effect]) best = rule;
    if (best.effect === 'deny') break;
  }
  if (best !== undefined) return { effect: best.effect, ruleId: best.id };
  if (input.manifest.requires_approval || input.manifest.risk === 'high') {
    return { effect: 'require_approval', ruleId: 'default:approval' };
  }
  return { effect: 'allow', ruleId: 'default:allow' };
}

type RegexResults = ReadonlyMap<Predicate, boolean | 'unevaluable'>;

/** Every regex predicate of the candidate rules whose arg is a string, run as one guarded batch. */
function regexResults(rules: readonly PolicyRule[], args: unknown): RegexResults {
  const preds: Predicate[] = [];
  const pairs: [string, string][] = [];
  for (const r of rules) {
    for (const p of r.when) {
      const v = argValue(args, p.arg);
      if (p.kind === 'regex' && typeof v === 'string') {
        preds.push(p);
        pairs.push([p.regex, v]);
      }
    }
  }
  const map = new Map<Predicate, boolean | 'unevaluable'>();
  if (pairs.length === 0) return map;
  safeRegexTestMany(pairs).forEach((res, i) => map.set(preds[i] as Predicate, res));
  return map;
}

function predicatesHold(when: readonly Predicate[], args: unknown, regex: RegexResults): boolean | 'unevaluable' {
  for (const p of when) {
    const r = holds(p, argValue(args, p.arg), regex);
    if (r !== true) return r;
  }
  return true;
}

/** Own, top-level property of a plain-object args value only (never the prototype chain). */
function argValue(args: unknown, key: string): unknown {
  if (!isPlainObject(args) || !Object.hasOwn(args, key)) return undefined;
  return args[key];
}

function holds(p: Predicate, v: unknown, regex: RegexResults): boolean | 'unevaluable' {
  switch (p.kind) {
    case 'equals': return v !== undefined && jsonEqual(p.equals, v);
    case 'prefix': return typeof v === 'string' && v.startsWith(p.prefix);
    case 'regex': return typeof v === 'string' && (regex.get(p) ?? 'unevaluable');
    case 'range':
      return typeof v === 'number' && Number.isFinite(v)
        && (p.min === undefined || v >= p.min) && (p.max === undefined || v <= p.max);
    default: {
      const never: never = p;
      throw new Error(`unexpected predicate ${String(never)}`);
    }
  }
}

function jsonEqual(a: JsonValue, b: unknown): boolean {
  if (a === null || typeof a !== 'object') return a === b;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  }
  if (!isPlainObject(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k] as JsonValue, b[k]));
}
