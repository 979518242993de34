/**
 * GET /admin/redaction-rules, GET/PUT/DELETE /admin/redaction-rules/:origin (admin only).
 * The origin is URL-encoded in the path and stored normalized by the one origin function
 * (privacy/rules.ts normalizeOrigin: scheme://host[:port], IDNA, trailing dot removed), so
 * `HTTPS://Example.COM.:443/` and `https://example.com` name the same rule. Changes are
 * audit-or-refuse: recorded durably before they are applied, else 503 GW_ERR_AUDIT_UNAVAILABLE.
 */
import { Router } from 'express';
import { requestIdOf } from '../locals.ts';
import type { CoreContext } from '../../context.ts';
import { gwError } from '../../errors.ts';
import { auditThen } from '../../events.ts';
import { normalizeOrigin, parseRedactionRule } from '../../privacy/rules.ts';
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
  }, 'PUT /admin/redaction-rules/:origin');

  r.get('/admin/redaction-rules', admin, (_req, res) => {
    res.json({ rules: svc.rules.list().map(view) });
  });

  r.get('/admin/redaction-rules/:origin', admin, (req, res) => {
    const stored = svc.rules.get(originParam(param(req.params['origin'])));
    if (!stored) throw gwError('GW_ERR_NOT_FOUND', 'No rule for this origin.');
    res.json(view(stored));
  });

  // audit-or-refuse: the change is checked, recorded durably, then applied; no audit line → 503, nothing stored
  r.put('/admin/redaction-rules/:origin', admin, async (req, res) => {
    const origin = originParam(param(req.params['origin']));
    const body = ruleBody(req);
    const out = await auditThen(ctx.events, {
      plan: () => {
        const rule = parseRedactionRule(body);
        if (!rule.ok) throw gwError('GW_ERR_VALIDATION', 'Invalid redaction rule.', { extras: { errors: rule.problems.map((m) => ({ instancePath: '', message: m })) } });
        return rule.rule;
      },
      event: (rule) => ({
        type: 'redaction.rule.put', actor: actor(res), outcome: 'ok', requestId: requestIdOf(res),
        data: { origin, fields: [...rule.fields], patterns: rule.patterns.length },
      }),
      apply: (rule) => {
        const put = svc.rules.put(origin, rule, actor(res));
        if (!put.ok) throw gwError('GW_ERR_VALIDATION', 'Invalid redaction rule.', { extras: { errors: put.problems.map((m) => ({ instancePath: '', message: m })) } });
        return put;
      },
    });
    const stored = svc.rules.get(out.origin);
    res.json(stored ? view(stored) : { origin: out.origin, ...out.rule });
  });

  r.delete('/admin/redaction-rules/:origin', admin, async (req, res) => {
    const origin = originParam(param(req.params['origin']));
    await auditThen(ctx.events, {
      plan: () => {
        if (!svc.rules.get(origin)) throw gwError('GW_ERR_NOT_FOUND', 'No rule for this origin.');
        return origin;
      },
      event: () => ({ type: 'redaction.rule.delete', actor: actor(res), outcome: 'ok', requestId: requestIdOf(res), data: { origin } }),
      apply: () => svc.rules.delete(origin),
    });
    res.status(204).end();
  });
  return r;
}
