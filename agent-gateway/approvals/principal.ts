/**
 * Who may decide an approval, decided on a typed principal (never by parsing an actor
 * string): an admin only, and for `approve` never the principal that requested the call
 * (the agent itself, or the admin recorded as `requested_by`).
 */
export type ApprovalPrincipal =
  | { readonly kind: 'admin' | 'user'; readonly username: string }
  | { readonly kind: 'agent'; readonly agentId: string };

export type DeciderCheck = { ok: true } | { ok: false; code: 'GW_ERR_FORBIDDEN'; message: string };

/** `admin:alice`, `user:bob`, `agent:bot`: how a principal is written in `requested_by`, `decided_by` and audit actors. */
export function principalActor(p: ApprovalPrincipal): string {
  return p.kind === 'agent' ? `agent:${p.agentId}` : `${p.kind}:${p.username}`;
}

export function checkDecider(
  p: ApprovalPrincipal,
  action: 'approve' | 'reject',
  item: { readonly agent_id: string; readonly requested_by: string },
): DeciderCheck {
  if (p.kind !== 'admin' || p.username.length === 0) return { ok: false, code: 'GW_ERR_FORBIDDEN', message: 'only an admin may decide an approval' };
  if (action === 'approve' && principalActor(p) === item.requested_by) {
    return { ok: false, code: 'GW_ERR_FORBIDDEN', message: 'the requesting principal may not approve its own call' };
  }
  return { ok: true };
}
