/** GET /admin/audit (filters, JSON or CSV) and GET /admin/audit/verify (admin only). */
import { Router, type Request } from 'express';
import { toCsv, type AuditService, type ReadQuery } from '../../audit/index.ts';
import type { CoreContext } from '../../context.ts';
import { gwError } from '../../errors.ts';
import { requirePrincipal } from '../auth.ts';

const ALLOWED = new Set(['since', 'until', 'event', 'actor', 'limit', 'format', 'after_seq']);

function bad(name: string, message: string): never {
  throw gwError('GW_ERR_VALIDATION', `Invalid query parameter ${name}.`, { extras: { errors: [{ instancePath: `/${name}`, message }] } });
}

/** Pure parse of the query string into a ReadQuery; every bad value is a 422. */
export function parseAuditQuery(req: Request): { query: ReadQuery; format: 'json' | 'csv' } {
  const q = req.query;
  for (const k of Object.keys(q)) if (!ALLOWED.has(k)) bad(k, 'unknown parameter');
  const str = (name: string): string | undefined => {
    const v = q[name];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || v.length > 200) bad(name, 'must be a single short string');
    return v;
  };
  const date = (name: string): number | undefined => {
    const v = str(name);
    if (v === undefined) return undefined;
    const t = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})?)?$/.test(v) ? Date.parse(v) : Number.NaN;
    if (Number.isNaN(t)) bad(name, 'must be an ISO 8601 date or date-time');
    return t;
  };
  const int = (name: string, min: number, max: number): number | undefined => {
    const v = str(name);
    if (v === undefined) return undefined;
    const n = /^\d{1,15}$/.test(v) ? Number(v) : Number.NaN;
    if (!(n >= min && n <= max)) bad(name, `must be an integer from ${min} to ${max}`);
    return n;
  };
  const since = date('since');
  const until = date('until');
  const event = str('event');
  const actorName = str('actor');
  const afterSeq = int('after_seq', 0, Number.MAX_SAFE_INTEGER);
  const format = str('format') ?? 'json';
  if (format !== 'json' && format !== 'csv') bad('format', 'must be json or csv');
  const query: ReadQuery = {
    limit: int('limit', 1, 10_000) ?? 1000,
    ...(since === undefined ? {} : { since }),
    ...(until === undefined ? {} : { until }),
    ...(event === undefined ? {} : { event }),
    ...(actorName === undefined ? {} : { actor: actorName }),
    ...(afterSeq === undefined ? {} : { after_seq: afterSeq }),
  };
  return { query, format };
}

export function auditRoutes(ctx: CoreContext, audit: AuditService): Router {
  const r = Router();
  const admin = requirePrincipal(ctx, ['admin']);
  r.get('/admin/audit', admin, async (req, res) => {
    const { query, format } = parseAuditQuery(req);
    const entries = await audit.read(query);
    if (format === 'csv') {
      res.type('text/csv').setHeader('Content-Disposition', 'attachment; filename="palisade-audit.csv"');
      res.send(toCsv(entries));
      return;
    }
    res.json({ entries });
  });
  r.get('/admin/audit/verify', admin, async (_req, res) => {
    res.json(await audit.verify());
  });
  return r;
}
