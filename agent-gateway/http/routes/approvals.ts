/**
 * GET /approvals?status=, GET /approvals/:id (admin; the requesting agent may read its own),
 * POST /approvals/:id/approve | /reject {note?} (admin), GET /approvals/stream (admin, SSE),
 * GET/PUT /admin/approvals/config {timeout_seconds}.
 */
import { Router } from 'express';
import { openSse } from '../../../providers/sse.ts';
import { validateApprovalConfig } from '../../approvals/config.ts';
import { isApprovalStatus } from '../../approvals/state.ts';
import type { CoreContext } from '../../context.ts';
import { gwError } from '../../errors.ts';
import { approveAndRun, rejectApproval } from '../../tools/approve.ts';
import type { ToolServices } from '../../tools/services.ts';
import { actor, principalOf, requirePrincipal } from '../auth.ts';
import { bodyValidator, param } from '../validate-body.ts';

export function approvalRoutes(ctx: CoreContext, svc: ToolServices): Router {
  const r = Router();
  const admin = requirePrincipal(ctx, ['admin']);
  const adminOrAgent = requirePrincipal(ctx, ['admin', 'agent']);
  const noteBody = bodyValidator<{ note?: string }>({
    type: 'object', additionalProperties: false, properties: { note: { type: 'string', maxLength: 1024 } },
  });
  const requestId = (res: { locals: Record<string, unknown> }): string => String(res.locals['requestId']);

  r.get('/approvals', adminOrAgent, (req, res) => {
    const status = req.query['status'];
    if (status !== undefined && !isApprovalStatus(status)) {
      throw gwError('GW_ERR_VALIDATION', 'status must be pending, approved, rejected, expired, executed or failed.', {
        extras: { errors: [{ instancePath: '/status', message: 'invalid status' }] },
      });
    }
    const p = principalOf(res);
    const items = svc.approvals.list({
      ...(status === undefined ? {} : { status }),
      ...(p.kind === 'agent' ? { agent_id: p.agentId } : {}),
    });
    res.json({ items });
  });

  r.get('/approvals/stream', admin, (req, res) => {
    const sse = openSse(req, res);
    sse.event('snapshot', { items: svc.approvals.list({ status: 'pending' }) });
    const s = svc.approvalEvents.subscribe((change) => sse.data(change));
    if (!s.ok) {
      sse.event('error', { code: 'GW_ERR_UNAVAILABLE', message: 'too many stream subscribers' });
      sse.end();
      return;
    }
    sse.signal.addEventListener('abort', () => s.unsubscribe(), { once: true });
  });

  r.get('/approvals/:id', adminOrAgent, (req, res) => {
    const item = svc.approvals.get(param(req.params['id']).slice(0, 128));
    const p = principalOf(res);
    if (item === undefined || (p.kind === 'agent' && item.agent_id !== p.agentId)) throw gwError('GW_ERR_NOT_FOUND', 'No such approval.');
    res.json(item);
  });

  r.post('/approvals/:id/approve', admin, async (req, res) => {
    const body = noteBody(req);
    const out = await approveAndRun(svc, param(req.params['id']).slice(0, 128), actor(res), body.note, requestId(res));
    res.json(out);
  });

  r.post('/approvals/:id/reject', admin, async (req, res) => {
    const body = noteBody(req);
    const item = await rejectApproval(svc, param(req.params['id']).slice(0, 128), actor(res), body.note, requestId(res));
    res.json({ approval: item });
  });

  r.get('/admin/approvals/config', admin, (_req, res) => {
    res.json(svc.approvalConfig.get());
  });

  r.put('/admin/approvals/config', admin, async (req, res) => {
    const parsed = validateApprovalConfig(req.body);
    if (!parsed.ok) throw gwError('GW_ERR_VALIDATION', 'Invalid approval config.', { extras: { errors: parsed.errors } });
    const saved = svc.approvalConfig.put(parsed.config, actor(res));
    await svc.events.record({ type: 'config.approvals', actor: actor(res), outcome: 'ok', data: { timeout_seconds: saved.timeout_seconds } });
    res.json(saved);
  });
  return r;
}
