/**
 * Who may decide an approval: an `admin:` principal only, and for `approve` never the principal
 * that requested the call (`agent:<agent_id>` or the admin recorded as `requested_by`).
 */
export type DeciderCheck = { ok: true } | { ok: false; code: 'GW_ERR_FORBIDDEN'; message: string };

export function checkDecider(
  actor: string,
  action: 'approve' | 'reject',
  item: { readonly agent_id: string; readonly requested_by: string },
): DeciderCheck {
  if (!/^admin:.+/.test(actor)) return { ok: false, code: 'GW_ERR_FORBIDDEN', message: 'only an admin may decide an approval' };
  if (action === 'approve' && (actor === item.requested_by || actor === `agent:${item.agent_id}`)) {
    return { ok: false, code: 'GW_ERR_FORBIDDEN', message: 'the requesting principal may not approve its own call' };
  }
  return { ok: true };
}
