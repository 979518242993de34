/**
 * An admin's decision on a queued call. Approve runs exactly the stored call (its sha256 is
 * re-verified by the store and its args re-checked here) and records the result for
 * GET /tools/calls/:call_id. While the kill switch is active nothing is decided or run.
 */
import type { ApprovalItem } from '../approvals/item.ts';
import type { DecisionResult } from '../approvals/store.ts';
import { gwError, type GatewayError } from '../errors.ts';
import { audit, executeCall, type CallBody } from './execute.ts';
import { sanitizeArgs } from './sanitize.ts';
import type { ToolServices } from './services.ts';
import { validateArgs } from './validate.ts';

function decisionError(r: Exclude<DecisionResult, { ok: true }>): GatewayError {
  return gwError(r.code, r.message);
}

export async function rejectApproval(svc: ToolServices, id: string, actor: string, note: string | undefined, requestId: string): Promise<ApprovalItem> {
  const r = svc.approvals.decide(id, 'reject', actor, note);
  if (!r.ok) throw decisionError(r);
  await audit(svc, {
    type: 'approval.reject', actor, outcome: 'ok', requestId,
    data: { approval_id: id, call_id: r.item.call_id, agent_id: r.item.agent_id, tool: r.item.tool, ...(note === undefined ? {} : { note }) },
  });
  return r.item;
}

export async function approveAndRun(
  svc: ToolServices, id: string, actor: string, note: string | undefined, requestId: string,
): Promise<{ approval: ApprovalItem; call: CallBody }> {
  if (svc.killSwitch.state().active) throw gwError('GW_ERR_KILL_SWITCH');
  const decided = svc.approvals.decide(id, 'approve', actor, note);
  if (!decided.ok) {
    if (decided.code === 'GW_ERR_FORBIDDEN') {
      await audit(svc, { type: 'approval.approve', actor, outcome: 'denied', requestId, data: { approval_id: id, reason: decided.message } });
    }
    throw decisionError(decided);
  }
  await audit(svc, {
    type: 'approval.approve', actor, outcome: 'ok', requestId,
    data: { approval_id: id, call_id: decided.item.call_id, agent_id: decided.item.agent_id, tool: decided.item.tool, args_sha256: decided.item.args_sha256, ...(note === undefined ? {} : { note }) },
  });
  const taken = svc.approvals.takeExactCall(id);
  if (!taken.ok) throw gwError(taken.code, taken.message);
  const { call } = taken;
  const tool = svc.registry.get(call.tool);
  const clean = tool === undefined ? undefined : sanitizeArgs(call.args);
  if (tool === undefined || clean === undefined || !clean.ok || !validateArgs(tool, clean.value).ok) {
    svc.approvals.completeExecution(id, 'failed');
    svc.calls.put({ call_id: call.call_id, agent_id: call.agent_id, tool: call.tool, status: 'error', error: { code: 'GW_ERR_TOOL_NOT_FOUND', message: 'the approved tool or its args are no longer valid' } });
    throw gwError('GW_ERR_CONFLICT', 'The approved call can no longer run (tool removed or schema changed).');
  }
  const body = await executeCall(svc, {
    callId: call.call_id, agentId: call.agent_id, tool, args: clean.value, ruleId: `approval:${id}`, actor, requestId, approvalId: id,
  }).catch((error: unknown) => {
    svc.approvals.completeExecution(id, 'failed');
    throw error;
  });
  const done = svc.approvals.completeExecution(id, body.status === 'ok' ? 'executed' : 'failed');
  return { approval: done.ok ? done.item : decided.item, call: body };
}
