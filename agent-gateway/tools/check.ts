/**
 * POST /tools/check: a dry run of up to 32 calls through the ONE admission function (mode
 * `check`): the same decision a real call would get now, with the caller's current taint and
 * risk state, and nothing executed, queued, taken or counted (no rate-limit token, no breaker
 * denial, no session state). Each call is decided against the same current state (the batch
 * does not accumulate). The check is audited as one `tool.check` event, never as `tool.call`.
 */
import { isPlainObject, type JsonValue } from '../../sandbox/json.ts';
import type { AgentPrincipal } from '../auth/agents.ts';
import { gwError } from '../errors.ts';
import { admit } from './admission.ts';
import { audit } from './execute.ts';
import type { ToolServices } from './services.ts';

export const CHECK_MAX_CALLS = 32;

export interface CheckDecision {
  readonly tool: string;
  readonly decision: 'allow' | 'deny' | 'require_approval';
  readonly rule_id: string;
  /** this call's risk level and points, and the principal's score before it */
  readonly risk: { level: string; points: number; score: number } | null;
  readonly reasons: string[];
  readonly code?: string;
  readonly tainted_by?: string;
}

export async function checkCalls(svc: ToolServices, agent: AgentPrincipal, body: unknown, requestId: string): Promise<{ decisions: CheckDecision[]; policy_version: string }> {
  const calls: unknown = isPlainObject(body) && Object.keys(body).every((k) => k === 'calls') ? body['calls'] : undefined;
  if (!Array.isArray(calls) || calls.length === 0 || calls.length > CHECK_MAX_CALLS) {
    throw gwError('GW_ERR_VALIDATION', `Send {calls: [{tool, args}, …]} with 1 to ${CHECK_MAX_CALLS} calls.`, {
      extras: { errors: [{ instancePath: '/calls', message: `must be an array of 1..${CHECK_MAX_CALLS} {tool, args}` }] },
    });
  }
  const chain = svc.chainOf(agent.agentId);
  let version = '';
  const decisions = calls.map((c: unknown): CheckDecision => {
    const a = admit(svc, { agentId: agent.agentId, scope: agent.tools, body: c, mode: 'check', chain });
    version = a.policyVersion;
    const given: unknown = isPlainObject(c) ? c['tool'] : undefined;
    const tool = typeof given === 'string' ? given.slice(0, 256) : '';
    const risk = a.risk === undefined ? null : { level: a.risk.level, points: a.risk.points, score: a.risk.score };
    if (a.kind === 'deny') {
      return {
        tool, decision: 'deny', rule_id: a.ruleId, risk, code: a.error.code,
        reasons: [a.error.detail ?? a.error.message],
        ...(a.taintedBy === undefined ? {} : { tainted_by: a.taintedBy }),
      };
    }
    return {
      tool, decision: a.kind === 'allow' ? 'allow' : 'require_approval', rule_id: a.ruleId, risk,
      reasons: a.kind === 'allow' ? [] : [`rule ${a.ruleId} requires a human's approval`],
    };
  });
  await audit(svc, {
    type: 'tool.check', actor: `agent:${agent.agentId}`, outcome: 'ok', requestId,
    data: {
      agent_id: agent.agentId, policy_version: version,
      ...(chain.length === 0 ? {} : { chain: [...chain] }),
      decisions: decisions.map((d) => ({ tool: d.tool, decision: d.decision, rule_id: d.rule_id })) as unknown as JsonValue,
    },
  });
  return { decisions, policy_version: version };
}
