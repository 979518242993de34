/** GET /health (liveness) and GET /health/ready (sandbox backends). */
import { Router } from 'express';
import type { CoreContext } from '../../context.ts';

export function healthRoutes(ctx: CoreContext): Router {
  const r = Router();
  r.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  r.get('/health/ready', (_req, res) => {
    const ready = ctx.readiness();
    res.status(ready.status === 'ok' ? 200 : 503).json(ready);
  });
  return r;
}
