/**
 * POST /tools/call (and the MCP adapter): a thin caller of the one admission function
 * (admission.ts: kill switch → breaker → rate limit → body → scope → name → registry →
 * sanitize → ajv → policy), then: deny → audited refusal (a breaker trip audited as its own
 * event); pending → the approval queue (enqueue.ts: capped, audited first) → 202; allow → sandbox → result check.
 * Every refusal and outcome is audited (durably) before the answer is sent, naming the rule
 * that decided it (`rule_id`, `default` when no policy rule did).
 */
import { randomUUID } from 'node:crypto';
import type { JsonValue } from '../../sandbox/json.ts';
import type { AgentPrincipal } from '../auth/agents.ts';
import type { GatewayError } from '../errors.ts';
import { admit, type Admission, type AdmissionStep } from './admission.ts';
import { enqueueForApproval } from './enqueue.ts';
import { audit, executeCall, type CallBody } from './execute.ts';
import type { ToolServices } from './services.ts';

export type CallOutcome =
  | { readonly status: 200; readonly body: CallBody }
  | { readonly status: 202; readonly body: { status: 'pending_approval'; approval_id: string; call_id: string; rule_id: string } };

export interface CallRequest {
  readonly agent: AgentPrincipal;
  readonly body: unknown;
  readonly requestId: string;
  /** which adapter the call arrived through; recorded in every audit entry of the call */
  readonly via?: CallVia;
  /**
   * fires when the caller has gone (HTTP connection closed, MCP request cancelled): an allowed
   * call still waiting for a worker is dropped unrun and audited as such; a running call finishes
   */
  readonly withdraw?: AbortSignal;
}

export type CallVia = 'rest' | 'mcp';

type Deny = Extract<Admission, { kind: 'deny' }>;

function observeDeny(svc: ToolServices, a: Deny): void {
  svc.observer.callRefused(a.toolLabel, a.step);
  if (a.step === 'rate_limit') svc.observer.rateLimited('tools_call');
  if (a.step === 'sanitize' || a.step === 'validate') svc.observer.validationError(a.toolLabel);
  if (a.step === 'policy') svc.observer.decision('deny');
}

/** Audits a refusal (and, when it opened the breaker, the pause) and returns the error to throw. */
async function refuse(
  svc: ToolServices, ctx: { actor: string; agentId: string; requestId: string; via: CallVia; policyVersion: string; chain: readonly string[] },
  step: AdmissionStep | 'approval_queue', error: GatewayError, toolLabel: string, ruleId: string, data: Record<string, JsonValue> = {},
): Promise<GatewayError> {
  await audit(svc, {
    type: 'tool.call', actor: ctx.actor, outcome: 'denied', requestId: ctx.requestId,
    data: {
      step, code: error.code, tool: toolLabel, agent_id: ctx.agentId, rule_id: ruleId, policy_version: ctx.policyVersion, via: ctx.via,
      ...(ctx.chain.length === 0 ? {} : { chain: [...ctx.chain] }), ...data,
    },
  });
  return error;
}

export async function callTool(svc: ToolServices, req: CallRequest): Promise<CallOutcome> {
  const { agent, requestId } = req;
  const via: CallVia = req.via ?? 'rest';
  const actor = `agent:${agent.agentId}`;
  const chain = svc.chainOf(agent.agentId);
  const a = admit(svc, { agentId: agent.agentId, scope: agent.tools, body: req.body, mode: 'call', chain });
  const who = { actor, agentId: agent.agentId, requestId, via, policyVersion: a.policyVersion, chain };

  switch (a.kind) {
    case 'deny': {
      observeDeny(svc, a);
      const error = await refuse(svc, who, a.step, a.error, a.toolLabel, a.ruleId, {
        ...(a.argsSha256 === undefined ? {} : { args_sha256: a.argsSha256 }),
        ...(a.taintedBy === undefined ? {} : { tainted_by: a.taintedBy }),
      });
      if (a.tripped) {
        const state = svc.breaker.check(agent.agentId);
        await audit(svc, {
          type: 'agent.paused', actor, outcome: 'ok', requestId,
          data: {
            agent_id: agent.agentId, step: a.step, rule_id: a.ruleId, tool: a.toolLabel, via,
            paused_until: state.ok ? null : new Date(state.pausedUntil).toISOString(),
          },
        });
      }
      throw error;
    }
    case 'pending': {
      const name = a.tool.manifest.name;
      svc.observer.decision('require_approval');
      const queued = await enqueueForApproval(svc, who, a.tool, a.args, a.ruleId);
      if (!queued.ok) {
        svc.observer.callRefused(name, 'approval_queue');
        throw await refuse(svc, who, 'approval_queue', queued.error, name, a.ruleId, { limit: queued.limit, max_pending: queued.cap });
      }
      return { status: 202, body: { status: 'pending_approval', approval_id: queued.approvalId, call_id: queued.callId, rule_id: a.ruleId } };
    }
    case 'allow': {
      svc.observer.decision('allow');
      const callId = `call_${randomUUID()}`;
      const result = await executeCall(svc, {
        callId, agentId: agent.agentId, tool: a.tool, args: a.args, ruleId: a.ruleId, actor, requestId, via, policyVersion: a.policyVersion, chain,
        ...(req.withdraw === undefined ? {} : { withdraw: req.withdraw }),
      });
      return { status: 200, body: result };
    }
    default: {
      const never: never = a;
      throw new Error(`unexpected admission ${String(never)}`);
    }
  }
}
