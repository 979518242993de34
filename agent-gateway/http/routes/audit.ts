/** GET /admin/audit (filters, JSON or CSV) and GET /admin/audit/verify (admin only). */
import { Router } from 'express';
import { AuditError, toCsv, type AuditService } from '../../audit/index.ts';
import { parseAuditQuery } from '../../audit/query.ts';
import type { CoreContext } from '../../context.ts';
import { gwError } from '../../errors.ts';
import { actor, requirePrincipal } from '../auth.ts';

/** A log the key cannot read is an operator problem (503), never garbage or a stack. */
async function guarded<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof AuditError) throw gwError('GW_ERR_AUDIT_UNAVAILABLE', `${error.code}: the audit log cannot be read with the configured key.`);
    throw error;
  }
}

export function auditRoutes(ctx: CoreContext, audit: AuditService): Router {
  const r = Router();
  const admin = requirePrincipal(ctx, ['admin']);
  r.get('/admin/audit', admin, async (req, res) => {
    const parsed = parseAuditQuery(req.query as Record<string, unknown>);
    if (!parsed.ok) {
      throw gwError('GW_ERR_VALIDATION', 'Invalid audit query.', {
        extras: { errors: parsed.errors.map((e) => ({ instancePath: `/${e.param}`, message: e.message })) },
      });
    }
    const entries = await guarded(() => audit.read(parsed.query));
    if (parsed.format === 'csv') {
      res.type('text/csv').setHeader('Content-Disposition', 'attachment; filename="palisade-audit.csv"');
      res.send(toCsv(entries));
      return;
    }
    res.json({ entries });
  });
  r.get('/admin/audit/verify', admin, async (_req, res) => {
    res.json(await guarded(() => audit.verify()));
  });
  // Beyond the v1 table: key rotation. New lines use the new kid; old lines stay readable.
  r.post('/admin/audit/rotate-key', admin, async (_req, res) => {
    const kid = audit.rotateKey();
    await ctx.events.record({ type: 'audit.key_rotated', actor: actor(res), outcome: 'ok', data: { kid } });
    res.json({ kid });
  });
  return r;
}
