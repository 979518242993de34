/**
 * The governance checks for one tool execution — the one home of these rules, used by the
 * admission function (tools/admission.ts) for every caller:
 *   gatePreflight: kill switch (503), circuit breaker (403 paused), per-agent rate limit (429);
 *   gatePolicy:    policy (403 deny / 202 approval / allow), a deny counted by the breaker
 *                  (`tripped` tells the caller to audit the pause).
 * `gateToolCall` is both in order, for callers that have nothing to check in between.
 */
import type { AgentCircuitBreaker } from './circuit-breaker.ts';
import { evaluate, type PolicyInput } from './evaluate.ts';
import { killSwitchGate, type KillSwitchState } from './kill-switch.ts';
import type { AgentRateLimiter } from './rate-limit.ts';
import { EMPTY_SUMMARY, evaluateSession, summaryWindows, type RiskView, type SessionSummary, type SummaryWindows } from './session.ts';
import type { PolicyDoc } from './types.ts';

export interface GateDeps {
  readonly killSwitch: { state(): KillSwitchState };
  readonly breaker: AgentCircuitBreaker;
  readonly rateLimiter: AgentRateLimiter;
  readonly policy: { get(): { readonly version: number; readonly doc: PolicyDoc } };
}

export type PreflightResult =
  | { ok: true }
  | { ok: false; code: 'GW_ERR_KILL_SWITCH' }
  | { ok: false; code: 'GW_ERR_AGENT_PAUSED'; retryAfterSeconds: number }
  | { ok: false; code: 'GW_ERR_RATE_LIMITED'; retryAfterSeconds: number };

export type PolicyGateResult =
  | { ok: true; effect: 'allow' | 'require_approval'; ruleId: string; policyVersion: number; risk?: RiskView }
  | {
    ok: false; code: 'GW_ERR_POLICY_DENIED'; ruleId: string; policyVersion: number; tripped: boolean;
    reason?: 'predicate_unevaluable' | 'taint' | 'risk';
    /** a taint deny: the call that tainted the principal, and until when (ms) */
    taintedBy?: string; taintedUntil?: number;
    risk?: RiskView;
  };

/** What session rules need to know about the call (absent: taint and risk are not evaluated). */
export interface SessionContext {
  readonly tags: readonly string[];
  readonly now: number;
  /** the principal's executed calls, summarised over the windows the document needs (exact, never capped) */
  readonly summary: (windows: SummaryWindows) => SessionSummary;
}

export type GateResult = Exclude<PreflightResult, { ok: true }> | PolicyGateResult;

export interface GateOptions {
  /**
   * true (default) for a new call from the agent: the rate limit takes a token and a policy
   * deny counts towards the breaker. false when an admin re-admits a queued call at approve
   * time: the kill switch still applies, the agent's budget and breaker are left alone.
   */
  readonly agentCall?: boolean;
  /** taint and risk state of the caller's principal */
  readonly session?: SessionContext;
}

export function gatePreflight(deps: Pick<GateDeps, 'killSwitch' | 'breaker' | 'rateLimiter'>, agentId: string, options: GateOptions = {}): PreflightResult {
  const ks = killSwitchGate(deps.killSwitch.state());
  if (!ks.ok) return ks;
  if (options.agentCall === false) return { ok: true };
  const cb = deps.breaker.check(agentId);
  if (!cb.ok) return { ok: false, code: cb.code, retryAfterSeconds: cb.retryAfterSeconds };
  const rl = deps.rateLimiter.take(agentId);
  if (!rl.ok) return { ok: false, code: rl.code, retryAfterSeconds: rl.retryAfterSeconds };
  return { ok: true };
}

export function gatePolicy(deps: Pick<GateDeps, 'breaker' | 'policy'>, input: PolicyInput, options: GateOptions = {}): PolicyGateResult {
  const { version, doc } = deps.policy.get();
  const d = evaluate(doc, input);
  const deny = (extra: Pick<Extract<PolicyGateResult, { ok: false }>, 'ruleId' | 'reason' | 'taintedBy' | 'taintedUntil' | 'risk'>): PolicyGateResult => {
    const tripped = options.agentCall === false ? false : deps.breaker.recordDenial(input.agentId).tripped;
    return { ok: false, code: 'GW_ERR_POLICY_DENIED', policyVersion: version, tripped, ...extra };
  };
  switch (d.effect) {
    case 'allow':
    case 'require_approval': {
      const s = options.session;
      if (s === undefined) return { ok: true, effect: d.effect, ruleId: d.ruleId, policyVersion: version };
      const windows = summaryWindows(doc, s.now);
      const v = evaluateSession(doc, d.effect, {
        tags: s.tags, risk: input.manifest.risk, now: s.now, summary: windows === undefined ? EMPTY_SUMMARY : s.summary(windows),
      });
      switch (v.kind) {
        case 'pass': return { ok: true, effect: d.effect, ruleId: d.ruleId, policyVersion: version, risk: v.risk };
        case 'risk_escalate': return { ok: true, effect: 'require_approval', ruleId: v.ruleId, policyVersion: version, risk: v.risk };
        case 'risk_deny': return deny({ ruleId: v.ruleId, reason: 'risk', risk: v.risk });
        case 'taint': return deny({ ruleId: v.ruleId, reason: 'taint', taintedBy: v.taintedBy, taintedUntil: v.until, risk: v.risk });
        default: {
          const never: never = v;
          throw new Error(`unexpected session verdict ${String(never)}`);
        }
      }
    }
    case 'deny': {
      const tripped = options.agentCall === false ? false : deps.breaker.recordDenial(input.agentId).tripped;
      return {
        ok: false, code: 'GW_ERR_POLICY_DENIED', ruleId: d.ruleId, policyVersion: version, tripped,
        ...(d.reason === undefined ? {} : { reason: d.reason }),
      };
    }
    default: {
      const never: never = d.effect;
      throw new Error(`unexpected effect ${String(never)}`);
    }
  }
}

export function gateToolCall(deps: GateDeps, input: PolicyInput): GateResult {
  const pre = gatePreflight(deps, input.agentId);
  if (!pre.ok) return pre;
  return gatePolicy(deps, input);
}
