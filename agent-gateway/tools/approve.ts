/**
 * An admin's decision on a queued call. Approve re-runs ADMISSION (admission.ts, the same code
 * a new call goes through) for the stored call before anything is decided: the agent must
 * still exist and hold the tool in its scope, the kill switch must be off, the args must
 * still sanitize and validate, the policy must still allow or require approval (a deny now
 * refuses), and the tool's definition (manifest + handler) must be the one the call was
 * queued against (409 GW_ERR_TOOL_CHANGED otherwise). A refusal decides nothing and is
 * audited. The approval is audited before it is applied (audit-or-refuse), then exactly the
 * stored call runs (sha256 re-verified, handed out once). Approve waits for the result at most
 * `approvalLimits.approveWaitMs`; past it the answer is `running` and the call finishes in
 * the background (its result lands on GET /tools/calls/:call_id, audited as usual).
 */
import type { JsonValue } from '../../sandbox/json.ts';
import type { ApprovalItem } from '../approvals/item.ts';
import { checkDecider, principalActor, type ApprovalPrincipal } from '../approvals/principal.ts';
import { nextStatus } from '../approvals/state.ts';
import type { DecisionResult } from '../approvals/store.ts';
import { gwError, type GatewayError } from '../errors.ts';
import { auditThen, recordOrRefuse, type GatewayEvent } from '../events.ts';
import { admit } from './admission.ts';
import { audit, executeCall, type CallBody } from './execute.ts';
import type { ToolServices } from './services.ts';

export type ApproveOutcome =
  | { readonly kind: 'done'; readonly approval: ApprovalItem; readonly call: CallBody }
  | { readonly kind: 'running'; readonly approval_id: string; readonly call_id: string };

function decisionError(r: Exclude<DecisionResult, { ok: true }>): GatewayError {
  return gwError(r.code, r.message);
}

function pendingItem(svc: ToolServices, id: string, decider: ApprovalPrincipal, action: 'approve' | 'reject'):
  { ok: true; item: ApprovalItem } | { ok: false; error: GatewayError; forbidden: boolean } {
  const item = svc.approvals.get(id);
  if (item === undefined) return { ok: false, error: gwError('GW_ERR_NOT_FOUND', 'no such approval'), forbidden: false };
  const who = checkDecider(decider, action, item);
  if (!who.ok) return { ok: false, error: gwError(who.code, who.message), forbidden: true };
  const next = nextStatus(item.status, action);
  if (!next.ok) return { ok: false, error: gwError(next.code, next.message), forbidden: false };
  return { ok: true, item };
}

export async function rejectApproval(svc: ToolServices, id: string, decider: ApprovalPrincipal, note: string | undefined, requestId: string): Promise<ApprovalItem> {
  const actor = principalActor(decider);
  return auditThen(svc.events, {
    plan: () => {
      const p = pendingItem(svc, id, decider, 'reject');
      if (!p.ok) throw p.error;
      return p.item;
    },
    event: (item): GatewayEvent => ({
      type: 'approval.reject', actor, outcome: 'ok', requestId,
      data: { approval_id: id, call_id: item.call_id, agent_id: item.agent_id, tool: item.tool, ...(note === undefined ? {} : { note }) },
    }),
    apply: () => {
      const r = svc.approvals.decide(id, 'reject', decider, note);
      if (!r.ok) throw decisionError(r);
      return r.item;
    },
  });
}

/** Re-admits the stored call of a pending item; a refusal is audited and thrown. */
async function readmit(svc: ToolServices, item: ApprovalItem, actor: string, requestId: string) {
  const refuse = async (step: string, error: GatewayError, ruleId = 'default'): Promise<never> => {
    await audit(svc, {
      type: 'approval.approve', actor, outcome: 'denied', requestId,
      data: { approval_id: item.id, call_id: item.call_id, agent_id: item.agent_id, tool: item.tool, step, code: error.code, rule_id: ruleId },
    });
    throw error;
  };
  const stored = svc.approvals.storedCall(item.id);
  if (!stored.ok) {
    if (stored.code === 'GW_ERR_APPROVAL_TAMPERED') svc.observer.approvalTampered?.(item.id);
    return refuse('stored_call', gwError(stored.code, stored.message));
  }
  const { call } = stored;
  const scope = svc.agentScope(call.agent_id);
  if (scope === undefined) {
    return refuse('agent', gwError('GW_ERR_APPROVAL_STALE', 'The agent that queued this call no longer exists (deleted or expired); it was not run.'));
  }
  const chain = svc.chainOf(call.agent_id);
  const a = admit(svc, {
    agentId: call.agent_id, scope, body: { tool: call.tool, args: call.args }, mode: 'approval', chain,
    ...(call.definition_sha256 === undefined ? {} : { definitionSha256: call.definition_sha256 }),
  });
  if (a.kind === 'deny') return refuse(a.step, a.error, a.ruleId);
  return { call, admitted: a, chain };
}

export async function approveAndRun(
  svc: ToolServices, id: string, decider: ApprovalPrincipal, note: string | undefined, requestId: string,
): Promise<ApproveOutcome> {
  const actor = principalActor(decider);
  const first = pendingItem(svc, id, decider, 'approve');
  if (!first.ok) {
    if (first.forbidden) {
      await audit(svc, { type: 'approval.approve', actor, outcome: 'denied', requestId, data: { approval_id: id, reason: first.error.message } });
    }
    throw first.error;
  }
  const { call, admitted, chain } = await readmit(svc, first.item, actor, requestId);

  const taken = await auditThen(svc.events, {
    plan: () => {
      // re-checked under the audit lock: a concurrent approve or reject has not decided it meanwhile
      const again = pendingItem(svc, id, decider, 'approve');
      if (!again.ok) throw again.error;
      return again.item;
    },
    event: (item): GatewayEvent => ({
      type: 'approval.approve', actor, outcome: 'ok', requestId,
      data: {
        approval_id: id, call_id: item.call_id, agent_id: item.agent_id, tool: item.tool, args_sha256: item.args_sha256,
        rule_id: admitted.ruleId, policy_version: admitted.policyVersion, ...(note === undefined ? {} : { note }),
      },
    }),
    apply: () => {
      const decided = svc.approvals.decide(id, 'approve', decider, note);
      if (!decided.ok) throw decisionError(decided);
      const t = svc.approvals.takeExactCall(id);
      if (!t.ok) throw gwError(t.code, t.message);
      return { decided: decided.item };
    },
  });

  const run = executeCall(svc, {
    callId: call.call_id, agentId: call.agent_id, tool: admitted.tool, args: admitted.args as JsonValue,
    ruleId: `approval:${id}`, actor, requestId, approvalId: id, policyVersion: admitted.policyVersion, chain,
  }).then((body) => {
    const done = svc.approvals.completeExecution(id, body.status === 'ok' ? 'executed' : 'failed');
    return { kind: 'done' as const, approval: done.ok ? done.item : taken.decided, call: body };
  }, (error: unknown) => {
    svc.approvals.completeExecution(id, 'failed');
    throw error;
  });
  return waitAtMost<ApproveOutcome>(svc, run, { kind: 'running', approval_id: id, call_id: call.call_id });
}

/** The result of `run` if it settles within the approve wait, else `late` (run continues, tracked). */
async function waitAtMost<T>(svc: ToolServices, run: Promise<T>, late: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), svc.approvalLimits.approveWaitMs);
  });
  try {
    const first = await Promise.race([run, expired]);
    if (first !== 'late') return first;
  } finally {
    clearTimeout(timer);
  }
  const tracked = run.catch((error: unknown) => svc.onBackgroundError(error)).finally(() => svc.background.delete(tracked));
  svc.background.add(tracked);
  return late;
}

/** The exact stored args of an item, for an admin; the reveal is audited before it is answered. */
export async function revealArgs(svc: ToolServices, id: string, admin: ApprovalPrincipal, requestId: string): Promise<{ item: ApprovalItem; args: JsonValue }> {
  if (admin.kind !== 'admin') throw gwError('GW_ERR_FORBIDDEN', 'Only an admin may reveal the exact args.');
  const item = svc.approvals.get(id);
  if (item === undefined) throw gwError('GW_ERR_NOT_FOUND', 'No such approval.');
  const stored = svc.approvals.storedCall(id);
  if (!stored.ok) throw gwError(stored.code, stored.message);
  await recordOrRefuse(svc.events, {
    type: 'approval.reveal', actor: principalActor(admin), outcome: 'ok', requestId,
    data: { approval_id: id, call_id: item.call_id, agent_id: item.agent_id, tool: item.tool, args_sha256: item.args_sha256 },
  } satisfies GatewayEvent);
  return { item, args: stored.call.args };
}
