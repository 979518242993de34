/**
 * GET /admin/providers (metadata only: never a key), PUT /admin/providers/:name/key
 * {key, ttl_days}, POST /admin/providers/:name/rotate {key, ttl_days, overlap_hours?} and
 * DELETE /admin/providers/:name/key (admin only). Keys go straight into the encrypted store;
 * audit events name the provider and expiry, never the key. Every change is audited before it
 * is applied (auditThen): no audit line, no change (503 GW_ERR_AUDIT_UNAVAILABLE).
 */
import { Router, type Response } from 'express';
import { isProviderName, type ProviderKeyInfo, type ProviderName } from '../../../providers/index.ts';
import type { CoreContext } from '../../context.ts';
import { gwError } from '../../errors.ts';
import { auditThen, type GatewayEvent } from '../../events.ts';
import type { ProviderServices } from '../../providers-services.ts';
import { actor, principalOf, requirePrincipal } from '../auth.ts';
import { requestIdOf } from '../locals.ts';
import { bodyValidator, param } from '../validate-body.ts';

const DAY_MS = 86_400_000;

const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());

function view(info: ProviderKeyInfo, svc: ProviderServices): Record<string, unknown> {
  const ep = svc.registry.endpoint(info.name);
  return {
    name: info.name, wire: ep.wire, base_url: ep.baseUrl, locality: ep.locality,
    enabled: ep.enabled, disabled_reason: ep.disabledReason ?? null,
    needs_key: info.needsKey, key_status: info.status, stored: info.stored, env_present: info.envPresent,
    created_at: iso(info.createdAt), expires_at: iso(info.expiresAt), previous_valid_until: iso(info.previousValidUntil),
  };
}

function providerParam(raw: string): ProviderName {
  if (!isProviderName(raw)) throw gwError('GW_ERR_NOT_FOUND', 'Unknown provider.');
  return raw;
}

export function providerRoutes(ctx: CoreContext, svc: ProviderServices): Router {
  const r = Router();
  const admin = requirePrincipal(ctx, ['admin']);
  // the key store's own rules, checked before the audit line is written (the store re-checks)
  const keyProps = {
    key: { type: 'string', minLength: 8, maxLength: 512, pattern: '^[\\x21-\\x7e]+$' }, ttl_days: { type: 'integer', minimum: 1, maximum: 3650 },
  } as const;
  const putBody = bodyValidator<{ key: string; ttl_days: number }>({
    type: 'object', additionalProperties: false, required: ['key', 'ttl_days'], properties: keyProps,
  }, 'PUT /admin/providers/:name/key');
  const rotateBody = bodyValidator<{ key: string; ttl_days: number; overlap_hours?: number }>({
    type: 'object', additionalProperties: false, required: ['key', 'ttl_days'], properties: { ...keyProps, overlap_hours: { type: 'integer', minimum: 0, maximum: 720 } },
  }, 'POST /admin/providers/:name/rotate');

  const eventOf = (res: Response, type: 'provider.key.put' | 'provider.key.rotate' | 'provider.key.delete', provider: ProviderName, data: Record<string, string | number | null>): GatewayEvent => {
    const who = principalOf(res);
    return {
      type, actor: actor(res), outcome: 'ok', subject: who.kind === 'agent' ? who.agentId : who.username,
      requestId: requestIdOf(res), data: { provider, ...data },
    };
  };
  const takesKey = (name: ProviderName): void => {
    if (!svc.keys.listProviders(svc.keyEnv).some((i) => i.name === name && i.needsKey)) throw gwError('GW_ERR_NOT_FOUND', 'This provider does not take a key.');
  };
  const refused = (out: { code: string; problems: readonly string[] }) => (out.code === 'PRV_ERR_UNKNOWN_PROVIDER'
    ? gwError('GW_ERR_NOT_FOUND', 'This provider does not take a key.')
    : gwError('GW_ERR_VALIDATION', 'Invalid key.', { extras: { errors: out.problems.map((m) => ({ instancePath: '', message: m })) } }));

  r.get('/admin/providers', admin, (_req, res) => {
    res.json({ providers: svc.keys.listProviders(svc.keyEnv).map((i) => view(i, svc)) });
  });

  r.put('/admin/providers/:name/key', admin, async (req, res) => {
    const name = providerParam(param(req.params['name']));
    const body = putBody(req);
    const out = await auditThen(ctx.events, {
      plan: () => {
        takesKey(name);
        return ctx.now() + body.ttl_days * DAY_MS;
      },
      event: (expiresAt) => eventOf(res, 'provider.key.put', name, { expires_at: iso(expiresAt), ttl_days: body.ttl_days }),
      apply: () => {
        const r = svc.keys.putKey(name, body.key, body.ttl_days);
        if (!r.ok) throw refused(r);
        return r;
      },
    });
    res.json({ provider: name, expires_at: iso(out.expiresAt) });
  });

  r.post('/admin/providers/:name/rotate', admin, async (req, res) => {
    const name = providerParam(param(req.params['name']));
    const body = rotateBody(req);
    const overlap = body.overlap_hours ?? 24;
    const out = await auditThen(ctx.events, {
      plan: () => {
        takesKey(name);
        return ctx.now() + body.ttl_days * DAY_MS;
      },
      event: (expiresAt) => eventOf(res, 'provider.key.rotate', name, { expires_at: iso(expiresAt), ttl_days: body.ttl_days, overlap_hours: overlap }),
      apply: () => {
        const r = svc.keys.rotateKey(name, body.key, body.ttl_days, overlap);
        if (!r.ok) throw refused(r);
        return r;
      },
    });
    const info = svc.keys.listProviders(svc.keyEnv).find((i) => i.name === name);
    res.json({ provider: name, expires_at: iso(out.expiresAt), previous_valid_until: iso(info?.previousValidUntil) });
  });

  r.delete('/admin/providers/:name/key', admin, async (req, res) => {
    const name = providerParam(param(req.params['name']));
    const none = () => gwError('GW_ERR_NOT_FOUND', 'No stored key for this provider.');
    await auditThen(ctx.events, {
      plan: () => {
        if (!svc.keys.listProviders(svc.keyEnv).some((i) => i.name === name && i.stored)) throw none();
      },
      event: () => eventOf(res, 'provider.key.delete', name, { removed: 'stored_keys' }),
      apply: () => {
        if (svc.keys.deleteKey(name) === 0) throw none();
      },
    });
    res.status(204).end();
  });
  return r;
}
