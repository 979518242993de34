/**
 * What session governance holds against a principal right now, for an admin's read
 * (GET /admin/agents/:id): its cumulative risk score within the window and every taint rule
 * it currently trips. Pure: the caller supplies the document, the summary of the principal's
 * executed calls (governance/state.ts) and the clock; the numbers are the ones policy/session.ts decides with.
 */
import { newestTaintingCall, riskOf, type SessionSummary } from '../policy/session.ts';
import type { PolicyDoc } from '../policy/types.ts';

export interface TaintView {
  /** the taint rule */
  readonly rule_id: string;
  /** the newest call that carried one of the rule's `on` tags within its window */
  readonly tainted_by: string;
  readonly tool: string;
  readonly since: string;
  /** when the taint lapses (unless another tainting call comes) */
  readonly until: string;
  /** the tags the principal may not call until then */
  readonly blocks: readonly string[];
}

export interface SessionView {
  /** Σ points of the calls run within the risk window (0 without `risk`) */
  readonly risk_score: number;
  readonly risk: { readonly window_seconds: number; readonly escalate_at: number; readonly deny_at: number } | null;
  /** the taint rules the principal trips now (empty: not tainted) */
  readonly tainted: readonly TaintView[];
}

export function sessionView(doc: PolicyDoc, summary: SessionSummary, now: number): SessionView {
  const r = doc.risk;
  const tainted: TaintView[] = [];
  for (const rule of doc.taint ?? []) {
    const newest = newestTaintingCall(rule, summary, now);
    if (newest === undefined) continue;
    tainted.push({
      rule_id: rule.id, tainted_by: newest.call_id, tool: newest.tool, since: new Date(newest.ts).toISOString(),
      until: new Date(newest.ts + rule.window_seconds * 1000).toISOString(), blocks: [...rule.block],
    });
  }
  return {
    risk_score: riskOf(doc, { risk: 'low', summary }).score,
    risk: r === undefined ? null : { window_seconds: r.window_seconds, escalate_at: r.escalate_at, deny_at: r.deny_at },
    tainted,
  };
}
