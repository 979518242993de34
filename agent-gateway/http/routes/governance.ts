/**
 * GET/POST/DELETE /admin/kill-switch and GET/PUT /admin/policy (admin only). Every change is
 * audited before it is applied (auditThen): no audit line, no change (503 GW_ERR_AUDIT_UNAVAILABLE).
 */
import { Router } from 'express';
import type { CoreContext } from '../../context.ts';
import { gwError } from '../../errors.ts';
import { parseKillSwitchBody, type KillSwitchState } from '../../policy/kill-switch.ts';
import { policyToJson, validatePolicy } from '../../policy/validate.ts';
import { auditThen, type GatewayEvent } from '../../events.ts';
import type { ToolServices } from '../../tools/services.ts';
import { actor, requirePrincipal } from '../auth.ts';
import { requestIdOf } from '../locals.ts';

function killSwitchView(s: KillSwitchState): Record<string, unknown> {
  return { active: s.active, reason: s.reason, actor: s.actor, since: s.since === null ? null : new Date(s.since).toISOString() };
}

export function governanceRoutes(ctx: CoreContext, svc: ToolServices): Router {
  const r = Router();
  const admin = requirePrincipal(ctx, ['admin']);

  r.get('/admin/kill-switch', admin, (_req, res) => {
    res.json(killSwitchView(svc.killSwitch.state()));
  });

  r.post('/admin/kill-switch', admin, async (req, res) => {
    const parsed = parseKillSwitchBody(req.body);
    if (!parsed.ok) throw gwError('GW_ERR_VALIDATION', 'Send {reason}.', { extras: { errors: parsed.errors } });
    const state = await auditThen(svc.events, {
      plan: () => parsed.reason,
      event: (reason): GatewayEvent => ({ type: 'killswitch.activate', actor: actor(res), outcome: 'ok', requestId: requestIdOf(res), data: { reason } }),
      apply: (reason) => svc.killSwitch.activate(reason, actor(res)),
    });
    svc.dispatcher.abortAll('SBX_ERR_KILLED', 'the kill switch was engaged; the tool was stopped'); // running jobs too (issue 19.9)
    res.json(killSwitchView(state));
  });

  r.delete('/admin/kill-switch', admin, async (_req, res) => {
    const state = await auditThen(svc.events, {
      plan: () => undefined,
      event: (): GatewayEvent => ({ type: 'killswitch.deactivate', actor: actor(res), outcome: 'ok', requestId: requestIdOf(res) }),
      apply: () => svc.killSwitch.deactivate(actor(res)),
    });
    res.json(killSwitchView(state));
  });

  r.get('/admin/policy', admin, (_req, res) => {
    const current = svc.policy.get();
    res.json({
      version: current.version, actor: current.actor,
      updated_at: current.updated_at === 0 ? null : new Date(current.updated_at).toISOString(),
      ...policyToJson(current.doc),
    });
  });

  r.put('/admin/policy', admin, async (req, res) => {
    const parsed = validatePolicy(req.body);
    if (!parsed.ok) throw gwError('GW_ERR_VALIDATION', 'Invalid policy document.', { extras: { errors: parsed.errors } });
    const version = await auditThen(svc.events, {
      plan: () => svc.policy.nextVersion(),
      event: (next): GatewayEvent => ({
        type: 'policy.update', actor: actor(res), outcome: 'ok', requestId: requestIdOf(res),
        data: { version: next, rules: parsed.doc.rules.length, rule_ids: parsed.doc.rules.map((x) => x.id) },
      }),
      apply: (next) => svc.policy.put(parsed.doc, actor(res), next),
    });
    res.json({ version, ...policyToJson(parsed.doc) });
  });
  return r;
}
