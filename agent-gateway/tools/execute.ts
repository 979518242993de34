/**
 * Runs one admitted call in its sandbox and settles it: the call record moves
 * running → ok | error, the result is checked against the tool's output schema and size,
 * and the audit event is made durable BEFORE the caller may answer 2xx.
 */
import type { JsonValue } from '../../sandbox/json.ts';
import { gwError } from '../errors.ts';
import type { GatewayEvent } from '../events.ts';
import { argsSha256 } from '../approvals/canonical.ts';
import { sha256Json, type Receipt } from '../receipts/receipt.ts';
import { redactArgs } from './redact-args.ts';
import type { RegisteredTool } from './registry.ts';
import type { ToolServices } from './services.ts';
import { validateResult } from './validate.ts';

export type CallBody =
  | { status: 'ok'; call_id: string; tool: string; result: JsonValue; duration_ms: number; receipt?: Receipt | { readonly [k: string]: unknown } }
  | { status: 'error'; call_id: string; error: { code: string; message: string } };

export interface ExecuteInput {
  readonly callId: string;
  readonly agentId: string;
  readonly tool: RegisteredTool;
  readonly args: JsonValue;
  readonly ruleId: string;
  readonly actor: string;
  readonly requestId: string;
  readonly approvalId?: string;
  /** the adapter the call arrived through (`rest`, `mcp`); approvals run with `rest` */
  readonly via?: 'rest' | 'mcp';
  /** the policy document's hash the decision was made under */
  readonly policyVersion: string;
  /** the agent's delegation ancestors, root first */
  readonly chain: readonly string[];
  /** fires when the caller has gone: a call still waiting for a worker is not run (audited as SBX_ERR_ABORTED) */
  readonly withdraw?: AbortSignal;
}

/** Durable audit write; failure means the call must not be acknowledged. */
export async function audit(svc: ToolServices, event: GatewayEvent): Promise<void> {
  try {
    await svc.events.record(event);
  } catch {
    throw gwError('GW_ERR_AUDIT_UNAVAILABLE', 'The audit log could not record this decision; nothing was acknowledged.');
  }
}

export async function executeCall(svc: ToolServices, input: ExecuteInput): Promise<CallBody> {
  const { callId, agentId, tool, args } = input;
  const name = tool.manifest.name;
  // session state first: once the sandbox has the call it may have read what the tags say
  svc.governance.record({
    principal: input.chain[0] ?? agentId, agent_id: agentId, call_id: callId, tool: name,
    tags: tool.manifest.tags, risk: tool.manifest.risk, ts: svc.now(),
  });
  svc.calls.put({ call_id: callId, agent_id: agentId, tool: name, status: 'running' });
  const started = performance.now();
  const outcome = await svc.dispatcher.run(tool, args, callId, { agentId, ...(input.withdraw === undefined ? {} : { withdraw: input.withdraw }) });
  const base = {
    type: 'tool.call', actor: input.actor, requestId: input.requestId,
  } as const;
  const eventData = {
    tool: name, agent_id: agentId, call_id: callId, rule_id: input.ruleId, policy_version: input.policyVersion,
    ...(input.chain.length === 0 ? {} : { chain: [...input.chain] }),
    args_sha256: argsSha256(name, args), args: redactArgs(args), via: input.via ?? 'rest',
    ...(input.approvalId === undefined ? {} : { approval_id: input.approvalId }),
  };
  // Refusals by the backend itself (no worker free, backend down) are 503s, not tool errors.
  const refusal = !outcome.ok ? outcome.code
    : !outcome.result.ok && (outcome.result.code === 'SBX_ERR_SATURATED' || outcome.result.code === 'SBX_ERR_UNAVAILABLE') ? outcome.result.code
      : undefined;
  if (refusal !== undefined) {
    svc.calls.put({ call_id: callId, agent_id: agentId, tool: name, status: 'error', error: { code: refusal, message: 'not run' } });
    svc.observer.callFinished(name, refusal, outcome.ok ? outcome.backend : 'none', 0);
    await audit(svc, { ...base, outcome: 'error', data: { ...eventData, error_code: refusal } });
    if (!outcome.ok && outcome.code === 'SBX_ERR_PRINCIPAL_THROTTLED') { // per-agent fault isolation (dispatch.ts)
      throw gwError('GW_ERR_SANDBOX_THROTTLED', outcome.reason, { headers: { 'Retry-After': String(outcome.retryAfterSeconds) } });
    }
    throw refusal === 'SBX_ERR_SATURATED'
      ? gwError('GW_ERR_WORKERS_SATURATED')
      : gwError('GW_ERR_BACKEND_UNAVAILABLE', outcome.ok ? 'The sandbox backend is not available.' : outcome.reason);
  }
  if (!outcome.ok) throw new Error('unreachable: refusal handled above');
  const { result, backend } = outcome;
  const durationMs = Math.round(performance.now() - started);
  let body: CallBody;
  if (result.ok) {
    const check = validateResult(tool, result.value, svc.outputBytes);
    body = check.ok
      ? { status: 'ok', call_id: callId, tool: name, result: result.value, duration_ms: durationMs }
      : { status: 'error', call_id: callId, error: { code: check.code, message: check.message } };
  } else {
    body = { status: 'error', call_id: callId, error: { code: result.code, message: result.message } };
  }
  if (body.status === 'ok') {
    // signed now and stored with the result, so GET /tools/calls/:id shows the very receipt the call returns
    const receipt = svc.receipts?.sign({
      v: 1, call_id: callId, agent_id: agentId, chain: [...input.chain], tool: name,
      args_sha256: eventData.args_sha256, result_sha256: sha256Json(body.result),
      decision: input.approvalId === undefined ? 'allow' : 'require_approval', rule_id: input.ruleId,
      policy_version: input.policyVersion, ts: new Date(svc.now()).toISOString(),
    });
    if (receipt !== undefined) body = { ...body, receipt };
    svc.calls.put({
      call_id: callId, agent_id: agentId, tool: name, status: 'ok', result: body.result, duration_ms: durationMs,
      ...(receipt === undefined ? {} : { receipt: { ...receipt, chain: [...receipt.chain] } }),
    });
  } else {
    svc.calls.put({ call_id: callId, agent_id: agentId, tool: name, status: 'error', error: body.error, duration_ms: durationMs });
  }
  svc.observer.callFinished(name, body.status === 'ok' ? 'ok' : body.error.code, backend, durationMs / 1000);
  await audit(svc, {
    ...base,
    outcome: body.status === 'ok' ? 'ok' : 'error',
    data: { ...eventData, backend, duration_ms: durationMs, ...(body.status === 'error' ? { error_code: body.error.code } : {}) },
  });
  return body;
}
