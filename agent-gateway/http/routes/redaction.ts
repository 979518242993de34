/**
 * GET /admin/redaction-rules, GET/PUT/DELETE /admin/redaction-rules/:origin (admin only).
 * The origin is URL-encoded in the path and stored normalized (scheme://host[:port]), so
 * `HTTPS://Example.COM:443/` and `https://example.com` name the same rule.
 */
import { Router } from 'express';
import type { CoreContext } from '../../context.ts';
import { gwError } from '../../errors.ts';
import { normalizeOrigin } from '../../privacy/rules.ts';
import type { StoredRule } from '../../privacy/stores.ts';
import type { ProviderServices } from '../../providers-services.ts';
import { actor, requirePrincipal } from '../auth.ts';
import { bodyValidator, param } from '../validate-body.ts';

function view(s: StoredRule): Record<string, unknown> {
  return { origin: s.origin, fields: s.rule.fields, patterns: s.rule.patterns, updated_at: new Date(s.updatedAt).toISOString(), updated_by: s.updatedBy };
}

function originParam(raw: string): string {
  const o = normalizeOrigin(raw);
  if (!o.ok) throw gwError('GW_ERR_VALIDATION', 'The origin must be a URL-encoded http(s) origin.', { extras: { errors: o.problems.map((m) => ({ instancePath: '/origin', message: m })) } });
  return o.origin;
}

export function redactionRoutes(ctx: CoreContext, svc: ProviderServices): Router {
  const r = Router();
  const admin = requirePrincipal(ctx, ['admin']);
  const ruleBody = bodyValidator<{ fields?: string[]; patterns?: string[] }>({
    type: 'object', additionalProperties: false,
    properties: { fields: { type: 'array', items: { type: 'string' } }, patterns: { type: 'array', items: { type: 'string' } } },
  });

  r.get('/admin/redaction-rules', admin, (_req, res) => {
    res.json({ rules: svc.rules.list().map(view) });
  });

  r.get('/admin/redaction-rules/:origin', admin, (req, res) => {
    const stored = svc.rules.get(originParam(param(req.params['origin'])));
    if (!stored) throw gwError('GW_ERR_NOT_FOUND', 'No rule for this origin.');
    res.json(view(stored));
  });

  r.put('/admin/redaction-rules/:origin', admin, async (req, res) => {
    const origin = originParam(param(req.params['origin']));
    const body = ruleBody(req);
    const out = svc.rules.put(origin, body, actor(res));
    if (!out.ok) throw gwError('GW_ERR_VALIDATION', 'Invalid redaction rule.', { extras: { errors: out.problems.map((m) => ({ instancePath: '', message: m })) } });
    await ctx.events.record({
      type: 'redaction.rule.put', actor: actor(res), outcome: 'ok', requestId: String(res.locals['requestId'] ?? ''),
      data: { origin: out.origin, fields: [...out.rule.fields], patterns: out.rule.patterns.length },
    });
    const stored = svc.rules.get(out.origin);
    res.json(stored ? view(stored) : { origin: out.origin, ...out.rule });
  });

  r.delete('/admin/redaction-rules/:origin', admin, async (req, res) => {
    const origin = originParam(param(req.params['origin']));
    if (!svc.rules.delete(origin)) throw gwError('GW_ERR_NOT_FOUND', 'No rule for this origin.');
    await ctx.events.record({ type: 'redaction.rule.delete', actor: actor(res), outcome: 'ok', requestId: String(res.locals['requestId'] ?? ''), data: { origin } });
    res.status(204).end();
  });
  return r;
}
