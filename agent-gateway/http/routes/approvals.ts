/**
 * GET /approvals?status=, GET /approvals/:id (admin; the requesting agent may read its own;
 * `?reveal=true`: admin only, audited, the exact stored args), POST /approvals/:id/approve |
 * /reject {note?} (admin; approve answers 200 with the result, or 202 {status:"running"} when
 * the tool takes longer than the approve wait), GET /approvals/stream (admin, SSE),
 * GET/PUT /admin/approvals/config {timeout_seconds} (audited before applied).
 */
import { Router } from 'express';
import { openSse } from '../../../providers/sse.ts';
import { validateApprovalConfig } from '../../approvals/config.ts';
import { isApprovalStatus } from '../../approvals/state.ts';
import type { CoreContext } from '../../context.ts';
import { gwError } from '../../errors.ts';
import { auditThen, type GatewayEvent } from '../../events.ts';
import { approveAndRun, rejectApproval, revealArgs } from '../../tools/approve.ts';
import type { ToolServices } from '../../tools/services.ts';
import { actor, principalOf, requirePrincipal } from '../auth.ts';
import { approvalPrincipalOf, requestIdOf } from '../locals.ts';
import { bodyValidator, param } from '../validate-body.ts';

export function approvalRoutes(ctx: CoreContext, svc: ToolServices): Router {
  const r = Router();
  const admin = requirePrincipal(ctx, ['admin']);
  const adminOrAgent = requirePrincipal(ctx, ['admin', 'agent']);
  const noteBody = bodyValidator<{ note?: string }>({
    type: 'object', additionalProperties: false, properties: { note: { type: 'string', maxLength: 1024 } },
  }, 'POST /approvals/:id/approve', 'POST /approvals/:id/reject');

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

  r.get('/approvals/:id', adminOrAgent, async (req, res) => {
    const id = param(req.params['id']).slice(0, 128);
    const reveal = req.query['reveal'];
    if (reveal !== undefined && reveal !== 'true' && reveal !== 'false') {
      throw gwError('GW_ERR_VALIDATION', 'reveal must be true or false.', { extras: { errors: [{ instancePath: '/reveal', message: 'must be true or false' }] } });
    }
    if (reveal === 'true') {
      const out = await revealArgs(svc, id, approvalPrincipalOf(res), requestIdOf(res));
      res.json({ ...out.item, args: out.args, args_revealed: true });
      return;
    }
    const item = svc.approvals.get(id);
    const p = principalOf(res);
    if (item === undefined || (p.kind === 'agent' && item.agent_id !== p.agentId)) throw gwError('GW_ERR_NOT_FOUND', 'No such approval.');
    res.json(item);
  });

  r.post('/approvals/:id/approve', admin, async (req, res) => {
    const body = noteBody(req);
    const out = await approveAndRun(svc, param(req.params['id']).slice(0, 128), approvalPrincipalOf(res), body.note, requestIdOf(res));
    if (out.kind === 'running') {
      res.status(202).location(`/tools/calls/${out.call_id}`).json({ status: 'running', call_id: out.call_id, approval_id: out.approval_id });
      return;
    }
    res.json({ approval: out.approval, call: out.call });
  });

  r.post('/approvals/:id/reject', admin, async (req, res) => {
    const body = noteBody(req);
    const item = await rejectApproval(svc, param(req.params['id']).slice(0, 128), approvalPrincipalOf(res), body.note, requestIdOf(res));
    res.json({ approval: item });
  });

  r.get('/admin/approvals/config', admin, (_req, res) => {
    res.json(svc.approvalConfig.get());
  });

  r.put('/admin/approvals/config', admin, async (req, res) => {
    const parsed = validateApprovalConfig(req.body);
    if (!parsed.ok) throw gwError('GW_ERR_VALIDATION', 'Invalid approval config.', { extras: { errors: parsed.errors } });
    const saved = await auditThen(svc.events, {
      plan: () => parsed.config,
      event: (cfg): GatewayEvent => ({ type: 'config.approvals', actor: actor(res), outcome: 'ok', requestId: requestIdOf(res), data: { timeout_seconds: cfg.timeout_seconds } }),
      apply: (cfg) => svc.approvalConfig.put(cfg, actor(res)),
    });
    res.json(saved);
  });
  return r;
}
