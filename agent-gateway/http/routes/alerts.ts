/**
 * GET/PUT /admin/alerts/config (admin only): thresholds and webhook targets; secrets never
 * returned. A change is audited before it is applied (auditThen): no audit line, no change.
 */
import { Router } from 'express';
import { alertConfigView, applyAlertConfigPatch } from '../../alerts/config.ts';
import type { AlertServices } from '../../alerts/wiring.ts';
import type { CoreContext } from '../../context.ts';
import { gwError } from '../../errors.ts';
import { auditThen, type GatewayEvent } from '../../events.ts';
import { actor, requirePrincipal } from '../auth.ts';
import { requestIdOf } from '../locals.ts';

export function alertRoutes(ctx: CoreContext, alerts: AlertServices): Router {
  const r = Router();
  const admin = requirePrincipal(ctx, ['admin']);
  r.get('/admin/alerts/config', admin, (_req, res) => {
    res.json(alertConfigView(alerts.store.get()));
  });
  r.put('/admin/alerts/config', admin, async (req, res) => {
    const result = await applyAlertConfigPatch(alerts.store.get(), req.body, alerts.checkUrl);
    if (!result.ok) throw gwError('GW_ERR_VALIDATION', 'Invalid alert config.', { extras: { errors: result.errors } });
    const view = alertConfigView(result.config);
    await auditThen(ctx.events, {
      plan: () => result.config,
      event: (): GatewayEvent => ({
        type: 'config.alerts', actor: actor(res), outcome: 'ok', requestId: requestIdOf(res),
        data: { webhooks: view.webhooks.map((w) => w.url), validation_error_threshold: view.validation_error_threshold },
      }),
      apply: (config) => alerts.store.put(config, actor(res)),
    });
    res.json(view);
  });
  return r;
}
