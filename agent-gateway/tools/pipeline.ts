/**
 * POST /tools/call (and the MCP adapter): a thin caller of the one admission function
 * (admission.ts: kill switch → breaker → rate limit → body → scope → name → registry →
 * sanitize → ajv → policy), then: deny → audited refusal (a breaker trip audited as its own
 * event); pending → the approval queue (capped) → 202; allow → sandbox → result check.
 * Every refusal and outcome is audited (durably) before the answer is sent, naming the rule
 * that decided it (`rule_id`, `default` when no policy rule did).
 */
import { randomUUID } from 'node:crypto';
import type { JsonValue } from '../../sandbox/json.ts';
import type { AgentPrincipal } from '../auth/agents.ts';
import { gwError, type GatewayError } from '../errors.ts';
import { admit, type Admission, type AdmissionStep } from './admission.ts';
import { audit, executeCall, type CallBody } from './execute.ts';
import { redactArgs } from './redact-args.ts';
import type { ToolServices } from './services.ts';

export type CallOutcome =
  | { readonly status: 200; readonly body: CallBody }
  | { readonly status: 202; readonly body: { status: 'pending_approval'; approval_id: string; call_id: string } };

export interface CallRequest {
  readonly agent: AgentPrincipal;
  readonly body: unknown;
  readonly requestId: string;
  /** which adapter the call arrived through; recorded in every audit entry of the call */
  readonly via?: CallVia;
}

export type CallVia = 'rest' | 'mcp';

type Deny = Extract<Admission, { kind: 'deny' }>;

/** `approval.queue_full` is audited once per scope per minute, not on every refused call. */
const QUEUE_FULL_EVENT_EVERY_MS = 60_000;
const queueFullSeen = new WeakMap<ToolServices, Map<string, number>>();

function firstQueueFullInWindow(svc: ToolServices, key: string): boolean {
  let seen = queueFullSeen.get(svc);
  if (seen === undefined) queueFullSeen.set(svc, seen = new Map());
  const now = svc.now();
  const last = seen.get(key);
  if (last !== undefined && now - last < QUEUE_FULL_EVENT_EVERY_MS) return false;
  if (seen.size > 10_000) seen.clear();
  seen.set(key, now);
  return true;
}

function observeDeny(svc: ToolServices, a: Deny): void {
  svc.observer.callRefused(a.toolLabel, a.step);
  if (a.step === 'rate_limit') svc.observer.rateLimited('tools_call');
  if (a.step === 'sanitize' || a.step === 'validate') svc.observer.validationError(a.toolLabel);
  if (a.step === 'policy') svc.observer.decision('deny');
}

/** Audits a refusal (and, when it opened the breaker, the pause) and returns the error to throw. */
async function refuse(
  svc: ToolServices, ctx: { actor: string; agentId: string; requestId: string; via: CallVia },
  step: AdmissionStep | 'approval_queue', error: GatewayError, toolLabel: string, ruleId: string, data: Record<string, JsonValue> = {},
): Promise<GatewayError> {
  await audit(svc, {
    type: 'tool.call', actor: ctx.actor, outcome: 'denied', requestId: ctx.requestId,
    data: { step, code: error.code, tool: toolLabel, agent_id: ctx.agentId, rule_id: ruleId, via: ctx.via, ...data },
  });
  return error;
}

export async function callTool(svc: ToolServices, req: CallRequest): Promise<CallOutcome> {
  const { agent, requestId } = req;
  const via: CallVia = req.via ?? 'rest';
  const actor = `agent:${agent.agentId}`;
  const who = { actor, agentId: agent.agentId, requestId, via };
  const a = admit(svc, { agentId: agent.agentId, scope: agent.tools, body: req.body, mode: 'call' });

  switch (a.kind) {
    case 'deny': {
      observeDeny(svc, a);
      const error = await refuse(svc, who, a.step, a.error, a.toolLabel, a.ruleId, a.argsSha256 === undefined ? {} : { args_sha256: a.argsSha256 });
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
      const limits = svc.approvalLimits;
      const full = svc.approvals.pendingCount() >= limits.queueMax ? 'global' as const
        : svc.approvals.pendingCount(agent.agentId) >= limits.queuePerAgent ? 'agent' as const : undefined;
      if (full !== undefined) {
        svc.observer.callRefused(name, 'approval_queue');
        svc.observer.approvalQueueFull?.(full);
        const cap = full === 'global' ? limits.queueMax : limits.queuePerAgent;
        if (firstQueueFullInWindow(svc, full === 'global' ? 'global' : `agent:${agent.agentId}`)) {
          await audit(svc, {
            type: 'approval.queue_full', actor: 'system', outcome: 'denied', requestId,
            data: { limit: full, max_pending: cap, agent_id: agent.agentId, tool: name },
          });
        }
        throw await refuse(svc, who, 'approval_queue', gwError('GW_ERR_APPROVAL_QUEUE_FULL',
          full === 'global'
            ? `The approval queue holds ${cap} pending calls, its limit; retry after some are decided.`
            : `This agent has ${cap} calls waiting for approval, its limit; retry after some are decided.`,
          { headers: { 'Retry-After': '30' }, extras: { rule_id: a.ruleId, limit: full, max_pending: cap } }),
        name, a.ruleId, { limit: full, max_pending: cap });
      }
      const callId = `call_${randomUUID()}`;
      const item = svc.approvals.create({
        call_id: callId, agent_id: agent.agentId, tool: name, args: a.args, args_redacted: redactArgs(a.args),
        risk: a.tool.manifest.risk, timeout_seconds: svc.approvalConfig.get().timeout_seconds,
        definition_sha256: a.tool.definitionSha256,
      });
      svc.calls.put({ call_id: callId, agent_id: agent.agentId, tool: name, status: 'pending_approval' });
      svc.observer.callPending(name);
      await audit(svc, {
        type: 'tool.call', actor, outcome: 'pending', requestId,
        data: {
          step: 'policy', tool: name, agent_id: agent.agentId, call_id: callId, approval_id: item.id,
          rule_id: a.ruleId, args_sha256: item.args_sha256, args: redactArgs(a.args), via,
        },
      });
      return { status: 202, body: { status: 'pending_approval', approval_id: item.id, call_id: callId } };
    }
    case 'allow': {
      svc.observer.decision('allow');
      const callId = `call_${randomUUID()}`;
      const result = await executeCall(svc, { callId, agentId: agent.agentId, tool: a.tool, args: a.args, ruleId: a.ruleId, actor, requestId, via });
      return { status: 200, body: result };
    }
    default: {
      const never: never = a;
      throw new Error(`unexpected admission ${String(never)}`);
    }
  }
}
