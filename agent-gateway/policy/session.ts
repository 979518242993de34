/**
 * Session-aware policy: taint rules and cumulative risk over what a principal (an agent with
 * its whole delegation chain) has already run. Pure: the caller supplies the principal's
 * recent executed calls (`history`, any order) and the clock; nothing here reads or writes.
 *
 * After the rules engine (evaluate.ts) has decided allow or require_approval:
 *   taint  — a taint rule whose `on` tags were carried by a call run within its window, and
 *            whose `block` tags meet this tool's tags → deny, naming the rule and the newest
 *            tainting call (`tainted_by`);
 *   risk   — projected = Σ scores of the calls run within the window + this call's score;
 *            projected > deny_at → deny (`risk:deny`); projected > escalate_at and the rules
 *            said allow → require_approval (`risk:escalate`).
 * A rules-engine deny stays a deny (its rule id decides). A document without `taint` and
 * `risk` decides exactly as before.
 */
import type { RiskLevel, PolicyDoc, TaintRule } from './types.ts';

export const RISK_DENY_RULE = 'risk:deny';
export const RISK_ESCALATE_RULE = 'risk:escalate';

/** One executed call of the principal, as governance state records it. */
export interface SessionCall {
  readonly call_id: string;
  readonly tool: string;
  readonly tags: readonly string[];
  readonly risk: RiskLevel;
  /** ms since epoch when it was handed to the sandbox */
  readonly ts: number;
}

export interface SessionInput {
  /** the tags of the tool being called */
  readonly tags: readonly string[];
  readonly risk: RiskLevel;
  readonly history: readonly SessionCall[];
  readonly now: number;
}

export interface RiskView {
  readonly level: RiskLevel;
  /** this call's points (0 when the document has no `risk`) */
  readonly points: number;
  /** the principal's score within the window, before this call */
  readonly score: number;
}

export type SessionVerdict =
  | { readonly kind: 'pass'; readonly risk: RiskView }
  | { readonly kind: 'taint'; readonly ruleId: string; readonly taintedBy: string; readonly until: number; readonly risk: RiskView }
  | { readonly kind: 'risk_deny' | 'risk_escalate'; readonly ruleId: string; readonly risk: RiskView };

/** How far back the history must reach for this document (ms); 0 when it has no session rules. */
export function historyWindowMs(doc: PolicyDoc): number {
  let s = doc.risk?.window_seconds ?? 0;
  for (const t of doc.taint ?? []) s = Math.max(s, t.window_seconds);
  return s * 1000;
}

export function riskOf(doc: PolicyDoc, input: Pick<SessionInput, 'risk' | 'history' | 'now'>): RiskView {
  const r = doc.risk;
  if (r === undefined) return { level: input.risk, points: 0, score: 0 };
  const since = input.now - r.window_seconds * 1000;
  let score = 0;
  for (const h of input.history) if (h.ts > since && h.ts <= input.now) score += r.scores[h.risk];
  return { level: input.risk, points: r.scores[input.risk], score };
}

/** The newest call within the rule's window that carried one of its `on` tags (undefined: the rule is not tripped). */
export function newestTaintingCall(rule: TaintRule, history: readonly SessionCall[], now: number): SessionCall | undefined {
  const since = now - rule.window_seconds * 1000;
  let newest: SessionCall | undefined;
  for (const h of history) {
    if (h.ts > since && h.ts <= now && rule.on.some((t) => h.tags.includes(t)) && (newest === undefined || h.ts > newest.ts)) newest = h;
  }
  return newest;
}

/** The taint rule that blocks this tool now and the newest call that tainted the principal. */
export function taintOf(doc: PolicyDoc, input: Pick<SessionInput, 'tags' | 'history' | 'now'>):
  { ruleId: string; taintedBy: string; until: number } | undefined {
  for (const rule of doc.taint ?? []) {
    if (!rule.block.some((t) => input.tags.includes(t))) continue;
    const newest = newestTaintingCall(rule, input.history, input.now);
    if (newest !== undefined) return { ruleId: rule.id, taintedBy: newest.call_id, until: newest.ts + rule.window_seconds * 1000 };
  }
  return undefined;
}

/** `effect` is what the rules engine decided (allow or require_approval). */
export function evaluateSession(doc: PolicyDoc, effect: 'allow' | 'require_approval', input: SessionInput): SessionVerdict {
  const risk = riskOf(doc, input);
  const taint = taintOf(doc, input);
  if (taint !== undefined) return { kind: 'taint', ...taint, risk };
  const r = doc.risk;
  if (r !== undefined) {
    const projected = risk.score + risk.points;
    if (projected > r.deny_at) return { kind: 'risk_deny', ruleId: RISK_DENY_RULE, risk };
    if (projected > r.escalate_at && effect === 'allow') return { kind: 'risk_escalate', ruleId: RISK_ESCALATE_RULE, risk };
  }
  return { kind: 'pass', risk };
}
