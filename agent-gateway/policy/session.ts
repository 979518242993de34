/**
 * Session-aware policy: taint rules and cumulative risk over what a principal (an agent with
 * its whole delegation chain) has already run. Pure: the caller supplies a SUMMARY of the
 * principal's executed calls and the clock; nothing here reads or writes.
 *
 * The summary is exact whatever the volume (never the newest N calls, which a principal could
 * wash out by running N harmless calls after a tainting or a high-risk one): the newest call
 * per tag, and the number of calls per risk level since the risk window began.
 * governance/state.ts keeps it in sqlite; summarize() builds the same from a list (offline
 * `policy test`, tests).
 *
 * After the rules engine (evaluate.ts) has decided allow or require_approval:
 *   taint  — a taint rule whose `on` tags were carried by a call run within its window, and
 *            whose `block` tags meet this tool's tags → deny, naming the rule and the newest
 *            tainting call (`tainted_by`);
 *   risk   — projected = Σ scores of the calls run within the window + this call's score;
 *            projected > deny_at → deny (`risk:deny`); projected > escalate_at and the rules
 *            said allow → require_approval (`risk:escalate`).
 * A call recorded with a time after `now` (a clock set back) still counts: fail closed.
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

/** The newest executed call of the principal that carried a tag. */
export interface TagMark {
  readonly call_id: string;
  readonly tool: string;
  readonly ts: number;
}

/** What session rules read of a principal's past (see the header: exact, not capped). */
export interface SessionSummary {
  /** per tag: the newest executed call that carried it (since the windows' `tagsSinceMs`) */
  readonly newestByTag: ReadonlyMap<string, TagMark>;
  /** per risk level: executed calls after `riskSinceMs` (levels outside `riskLevels` may read 0) */
  readonly riskCounts: Readonly<Record<RiskLevel, number>>;
}

/** What a summary must cover for one document at one instant (undefined part: not needed). */
export interface SummaryWindows {
  /** tags: calls after this instant (the longest taint window) */
  readonly tagsSinceMs?: number;
  /** risk: calls after this instant (the risk window) ... */
  readonly riskSinceMs?: number;
  /** ... counted for these levels (those that score points) */
  readonly riskLevels?: readonly RiskLevel[];
}

export const EMPTY_SUMMARY: SessionSummary = Object.freeze({
  newestByTag: new Map<string, TagMark>(),
  riskCounts: Object.freeze({ low: 0, medium: 0, high: 0, critical: 0 }),
});

export interface SessionInput {
  /** the tags of the tool being called */
  readonly tags: readonly string[];
  readonly risk: RiskLevel;
  readonly summary: SessionSummary;
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

const LEVELS: readonly RiskLevel[] = ['low', 'medium', 'high', 'critical'];

/** The windows a summary must cover for this document now; undefined: it has no session rules. */
export function summaryWindows(doc: PolicyDoc, now: number): SummaryWindows | undefined {
  const taint = doc.taint ?? [];
  const r = doc.risk;
  if (taint.length === 0 && r === undefined) return undefined;
  let taintSeconds = 0;
  for (const t of taint) taintSeconds = Math.max(taintSeconds, t.window_seconds);
  return {
    ...(taint.length === 0 ? {} : { tagsSinceMs: now - taintSeconds * 1000 }),
    ...(r === undefined ? {} : { riskSinceMs: now - r.window_seconds * 1000, riskLevels: LEVELS.filter((l) => r.scores[l] !== 0) }),
  };
}

/** The summary of a list of calls over the given windows (the same answers governance/state.ts gives). */
export function summarize(history: readonly SessionCall[], w: SummaryWindows): SessionSummary {
  const newestByTag = new Map<string, TagMark>();
  const riskCounts: Record<RiskLevel, number> = { low: 0, medium: 0, high: 0, critical: 0 };
  for (const h of history) {
    if (w.tagsSinceMs !== undefined && h.ts > w.tagsSinceMs) {
      for (const tag of h.tags) {
        const seen = newestByTag.get(tag);
        if (seen === undefined || h.ts >= seen.ts) newestByTag.set(tag, { call_id: h.call_id, tool: h.tool, ts: h.ts });
      }
    }
    if (w.riskSinceMs !== undefined && h.ts > w.riskSinceMs && (w.riskLevels ?? LEVELS).includes(h.risk)) riskCounts[h.risk] += 1;
  }
  return { newestByTag, riskCounts };
}

export function riskOf(doc: PolicyDoc, input: Pick<SessionInput, 'risk' | 'summary'>): RiskView {
  const r = doc.risk;
  if (r === undefined) return { level: input.risk, points: 0, score: 0 };
  let score = 0;
  for (const l of LEVELS) score += input.summary.riskCounts[l] * r.scores[l];
  return { level: input.risk, points: r.scores[input.risk], score };
}

/** The newest call within the rule's window that carried one of its `on` tags (undefined: the rule is not tripped). */
export function newestTaintingCall(rule: TaintRule, summary: SessionSummary, now: number): TagMark | undefined {
  const since = now - rule.window_seconds * 1000;
  let newest: TagMark | undefined;
  for (const tag of rule.on) {
    const m = summary.newestByTag.get(tag);
    if (m !== undefined && m.ts > since && (newest === undefined || m.ts > newest.ts)) newest = m;
  }
  return newest;
}

/** The taint rule that blocks this tool now and the newest call that tainted the principal. */
export function taintOf(doc: PolicyDoc, input: Pick<SessionInput, 'tags' | 'summary' | 'now'>):
  { ruleId: string; taintedBy: string; until: number } | undefined {
  for (const rule of doc.taint ?? []) {
    if (!rule.block.some((t) => input.tags.includes(t))) continue;
    const newest = newestTaintingCall(rule, input.summary, input.now);
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
