/**
 * A call the policy sends to approval: the queue caps (global and per agent, counting calls
 * still waiting for their audit line), then audit-or-refuse — the `pending` line is written
 * durably BEFORE the item exists, so a failed audit write leaves nothing queued (503).
 */
import { randomUUID } from 'node:crypto';
import type { JsonValue } from '../../sandbox/json.ts';
import { argsSha256 } from '../approvals/canonical.ts';
import { gwError, type GatewayError } from '../errors.ts';
import type { RegisteredTool } from './registry.ts';
import { audit } from './execute.ts';
import { redactArgs } from './redact-args.ts';
import type { ToolServices } from './services.ts';

export interface Requester {
  readonly actor: string; readonly agentId: string; readonly requestId: string; readonly via: 'rest' | 'mcp';
  readonly policyVersion?: string; readonly chain?: readonly string[];
}

export type EnqueueResult =
  | { ok: true; approvalId: string; callId: string }
  | { ok: false; limit: 'global' | 'agent'; cap: number; error: GatewayError };

/** `approval.queue_full` is audited once per scope per minute, not on every refused call. */
const QUEUE_FULL_EVENT_EVERY_MS = 60_000;
const queueFullSeen = new WeakMap<ToolServices, Map<string, number>>();
/** slots held by calls between their cap check and their item's creation (the audit await) */
const reserved = new WeakMap<ToolServices, Map<string, number>>();

function firstInWindow(svc: ToolServices, key: string): boolean {
  let seen = queueFullSeen.get(svc);
  if (seen === undefined) queueFullSeen.set(svc, seen = new Map());
  const now = svc.now();
  const last = seen.get(key);
  if (last !== undefined && now - last < QUEUE_FULL_EVENT_EVERY_MS) return false;
  if (seen.size > 10_000) seen.clear();
  seen.set(key, now);
  return true;
}

function hold(svc: ToolServices, agentId: string): { ok: true; release: () => void } | { ok: false; limit: 'global' | 'agent'; cap: number } {
  let held = reserved.get(svc);
  if (held === undefined) reserved.set(svc, held = new Map());
  const limits = svc.approvalLimits;
  const agentKey = `agent:${agentId}`;
  if (svc.approvals.pendingCount() + (held.get('global') ?? 0) >= limits.queueMax) return { ok: false, limit: 'global', cap: limits.queueMax };
  if (svc.approvals.pendingCount(agentId) + (held.get(agentKey) ?? 0) >= limits.queuePerAgent) return { ok: false, limit: 'agent', cap: limits.queuePerAgent };
  const map = held;
  const bump = (k: string, d: number) => {
    const n = (map.get(k) ?? 0) + d;
    if (n <= 0) map.delete(k);
    else map.set(k, n);
  };
  bump('global', 1);
  bump(agentKey, 1);
  let released = false;
  return {
    ok: true,
    release: () => {
      if (released) return;
      released = true;
      bump('global', -1);
      bump(agentKey, -1);
    },
  };
}

export async function enqueueForApproval(
  svc: ToolServices, who: Requester, tool: RegisteredTool, args: JsonValue, ruleId: string,
): Promise<EnqueueResult> {
  const name = tool.manifest.name;
  const slot = hold(svc, who.agentId);
  if (!slot.ok) {
    svc.observer.approvalQueueFull?.(slot.limit);
    if (firstInWindow(svc, slot.limit === 'global' ? 'global' : `agent:${who.agentId}`)) {
      await audit(svc, {
        type: 'approval.queue_full', actor: 'system', outcome: 'denied', requestId: who.requestId,
        data: { limit: slot.limit, max_pending: slot.cap, agent_id: who.agentId, tool: name },
      });
    }
    const error = gwError('GW_ERR_APPROVAL_QUEUE_FULL', slot.limit === 'global'
      ? `The approval queue holds ${slot.cap} pending calls, its limit; retry after some are decided.`
      : `This agent has ${slot.cap} calls waiting for approval, its limit; retry after some are decided.`,
    { headers: { 'Retry-After': '30' }, extras: { rule_id: ruleId, limit: slot.limit, max_pending: slot.cap } });
    return { ok: false, limit: slot.limit, cap: slot.cap, error };
  }
  try {
    const callId = `call_${randomUUID()}`;
    const approvalId = `apr_${randomUUID()}`;
    const redacted = redactArgs(args);
    await audit(svc, {
      type: 'tool.call', actor: who.actor, outcome: 'pending', requestId: who.requestId,
      data: {
        step: 'policy', tool: name, agent_id: who.agentId, call_id: callId, approval_id: approvalId,
        rule_id: ruleId, args_sha256: argsSha256(name, args), args: redacted, via: who.via,
        ...(who.policyVersion === undefined ? {} : { policy_version: who.policyVersion }),
        ...(who.chain === undefined || who.chain.length === 0 ? {} : { chain: [...who.chain] }),
      },
    });
    svc.approvals.create({
      id: approvalId, call_id: callId, agent_id: who.agentId, tool: name, args, args_redacted: redacted,
      risk: tool.manifest.risk, timeout_seconds: svc.approvalConfig.get().timeout_seconds,
      definition_sha256: tool.definitionSha256,
    });
    svc.calls.put({ call_id: callId, agent_id: who.agentId, tool: name, status: 'pending_approval' });
    svc.observer.callPending(name);
    return { ok: true, approvalId, callId };
  } finally {
    slot.release();
  }
}
