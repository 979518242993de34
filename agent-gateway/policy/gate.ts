/**
 * The governance checks for one tool execution, in order: kill switch (503), circuit breaker
 * (403 paused), per-agent rate limit (429), policy (403 deny / 202 approval / allow). A policy
 * deny is counted by the circuit breaker; `tripped` tells the caller to audit the pause.
 */
import type { AgentCircuitBreaker } from './circuit-breaker.ts';
import { evaluate, type PolicyInput } from './evaluate.ts';
import { killSwitchGate, type KillSwitchState } from './kill-switch.ts';
import type { AgentRateLimiter } from './rate-limit.ts';
import type { PolicyDoc } from './types.ts';

export interface GateDeps {
  readonly killSwitch: { state(): KillSwitchState };
  readonly breaker: AgentCircuitBreaker;
  readonly rateLimiter: AgentRateLimiter;
  readonly policy: { get(): { readonly version: number; readonly doc: PolicyDoc } };
}

export type GateResult =
  | { ok: true; effect: 'allow' | 'require_approval'; ruleId: string; policyVersion: number }
  | { ok: false; code: 'GW_ERR_KILL_SWITCH' }
  | { ok: false; code: 'GW_ERR_AGENT_PAUSED'; retryAfterSeconds: number }
  | { ok: false; code: 'GW_ERR_RATE_LIMITED'; retryAfterSeconds: number }
  | { ok: false; code: 'GW_ERR_POLICY_DENIED'; ruleId: string; policyVersion: number; tripped: boolean; reason?: 'predicate_unevaluable' };

export function gateToolCall(deps: GateDeps, input: PolicyInput): GateResult {
  const ks = killSwitchGate(deps.killSwitch.state());
  if (!ks.ok) return ks;
  const cb = deps.breaker.check(input.agentId);
  if (!cb.ok) return { ok: false, code: cb.code, retryAfterSeconds: cb.retryAfterSeconds };
  const rl = deps.rateLimiter.take(input.agentId);
  if (!rl.ok) return { ok: false, code: rl.code, retryAfterSeconds: rl.retryAfterSeconds };
  const { version, doc } = deps.policy.get();
  const d = evaluate(doc, input);
  switch (d.effect) {
    case 'allow':
    case 'require_approval':
      return { ok: true, effect: d.effect, ruleId: d.ruleId, policyVersion: version };
    case 'deny': {
      const { tripped } = deps.breaker.recordDenial(input.agentId);
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
