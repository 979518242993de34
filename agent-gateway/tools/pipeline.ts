/**
 * POST /tools/call, one path for every caller, in this order:
 *   kill switch → breaker/rate limit → body shape → scope → name length → registry →
 *   sanitize → ajv args → policy (allow | deny | require_approval) → sandbox → result check.
 * Every refusal and outcome is audited (durably) before the answer is sent.
 */
import { randomUUID } from 'node:crypto';
import { isPlainObject, type JsonValue } from '../../sandbox/json.ts';
import type { AgentPrincipal } from '../auth/agents.ts';
import { gwError, type GatewayError } from '../errors.ts';
import { evaluate } from '../policy/evaluate.ts';
import { argsDigest, audit, executeCall, type CallBody } from './execute.ts';
import { redactArgs } from './redact-args.ts';
import { sanitizeArgs } from './sanitize.ts';
import { inScope } from './scope.ts';
import type { ToolServices } from './services.ts';
import { checkToolName, validateArgs } from './validate.ts';

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

/** The label used for a tool name in events: the registered name, never arbitrary client text. */
function toolLabel(svc: ToolServices, name: unknown): string {
  return typeof name === 'string' && svc.registry.has(name) ? name : 'unknown';
}

export async function callTool(svc: ToolServices, req: CallRequest): Promise<CallOutcome> {
  const { agent, body, requestId } = req;
  const via: CallVia = req.via ?? 'rest';
  const actor = `agent:${agent.agentId}`;
  const refuse = async (step: string, error: GatewayError, tool: unknown, data: Record<string, JsonValue> = {}): Promise<never> => {
    svc.observer.callRefused(toolLabel(svc, tool), step);
    await audit(svc, {
      type: 'tool.call', actor, outcome: 'denied', requestId,
      data: { step, code: error.code, tool: toolLabel(svc, tool), agent_id: agent.agentId, via, ...data },
    });
    throw error;
  };
  const toolName: unknown = isPlainObject(body) ? body['tool'] : undefined;

  if (svc.killSwitch.state().active) await refuse('kill_switch', gwError('GW_ERR_KILL_SWITCH'), toolName);
  const paused = svc.breaker.check(agent.agentId);
  if (!paused.ok) {
    await refuse('circuit_breaker', gwError('GW_ERR_AGENT_PAUSED', 'Too many denied calls; this agent is paused.', {
      headers: { 'Retry-After': String(paused.retryAfterSeconds) },
    }), toolName);
  }
  const rate = svc.rateLimiter.take(agent.agentId);
  if (!rate.ok) {
    svc.observer.rateLimited('tools_call');
    await refuse('rate_limit', gwError('GW_ERR_RATE_LIMITED', 'This agent is calling too fast.', {
      headers: { 'Retry-After': String(rate.retryAfterSeconds) },
    }), toolName);
  }
  if (!isPlainObject(body) || Object.keys(body).some((k) => k !== 'tool' && k !== 'args') || !('tool' in body)) {
    await refuse('body', gwError('GW_ERR_VALIDATION', 'Send {tool, args}.', {
      extras: { errors: [{ instancePath: '', message: 'must be an object with tool and args only' }] },
    }), toolName);
  }
  const name = typeof toolName === 'string' ? toolName : '';
  if (typeof toolName === 'string' && !inScope(agent.tools, toolName)) {
    svc.breaker.recordDenial(agent.agentId);
    await refuse('scope', gwError('GW_ERR_TOOL_NOT_IN_SCOPE', 'This tool is not in the agent\'s scope.'), toolName);
  }
  const nameCheck = checkToolName(toolName);
  if (!nameCheck.ok) {
    await refuse('tool_name', gwError('GW_ERR_VALIDATION', 'The tool name must be a string of 1 to 256 characters.', {
      extras: { errors: nameCheck.errors },
    }), toolName);
  }
  const tool = svc.registry.get(name);
  if (tool === undefined) return refuse('registry', gwError('GW_ERR_TOOL_NOT_FOUND', 'No tool has that name.'), toolName);

  const rawArgs: unknown = isPlainObject(body) && 'args' in body ? body['args'] : {};
  const clean = sanitizeArgs(rawArgs);
  if (!clean.ok) {
    svc.observer.validationError(name);
    return refuse('sanitize', gwError(clean.code, 'The args contain a forbidden key or structure.', { extras: { errors: clean.errors } }), name);
  }
  const valid = validateArgs(tool, clean.value);
  if (!valid.ok) {
    svc.observer.validationError(name);
    return refuse('validate', gwError('GW_ERR_VALIDATION', 'The args do not match the tool\'s input schema.', { extras: { errors: valid.errors } }), name);
  }
  const args = clean.value;
  const decision = evaluate(svc.policy.get().doc, {
    agentId: agent.agentId, tool: name, args, manifest: { risk: tool.manifest.risk, requires_approval: tool.manifest.requires_approval },
  });
  svc.observer.decision(decision.effect);
  const callId = `call_${randomUUID()}`;
  switch (decision.effect) {
    case 'deny':
      svc.breaker.recordDenial(agent.agentId);
      return refuse('policy', gwError('GW_ERR_POLICY_DENIED', `Denied by policy rule ${decision.ruleId}.`, {
        extras: { rule_id: decision.ruleId },
      }), name, { rule_id: decision.ruleId, args_sha256: argsDigest(name, args) });
    case 'require_approval': {
      const item = svc.approvals.create({
        call_id: callId, agent_id: agent.agentId, tool: name, args, args_redacted: redactArgs(args),
        risk: tool.manifest.risk, timeout_seconds: svc.approvalConfig.get().timeout_seconds,
      });
      svc.calls.put({ call_id: callId, agent_id: agent.agentId, tool: name, status: 'pending_approval' });
      svc.observer.callPending(name);
      await audit(svc, {
        type: 'tool.call', actor, outcome: 'pending', requestId,
        data: {
          step: 'policy', tool: name, agent_id: agent.agentId, call_id: callId, approval_id: item.id,
          rule_id: decision.ruleId, args_sha256: item.args_sha256, args: redactArgs(args), via,
        },
      });
      return { status: 202, body: { status: 'pending_approval', approval_id: item.id, call_id: callId } };
    }
    case 'allow': {
      const result = await executeCall(svc, { callId, agentId: agent.agentId, tool, args, ruleId: decision.ruleId, actor, requestId, via });
      return { status: 200, body: result };
    }
    default: {
      const never: never = decision.effect;
      throw new Error(`unexpected policy effect ${String(never)}`);
    }
  }
}
