/** GET /metrics: Prometheus text for an admin token or the configured PALISADE_METRICS_TOKEN. */
import { createHash, timingSafeEqual } from 'node:crypto';
import { Router, type RequestHandler } from 'express';
import type { CoreContext } from '../../context.ts';
import type { Metrics } from '../../metrics/metrics.ts';
import { bearerToken } from '../../auth/tokens.ts';
import { requirePrincipal } from '../auth.ts';

function sha256(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/** Pure check: does the Authorization header carry exactly the metrics token? */
export function isMetricsToken(authorization: string | undefined, metricsToken: string | undefined): boolean {
  if (metricsToken === undefined) return false;
  const { token } = bearerToken(authorization);
  return token !== undefined && timingSafeEqual(sha256(token), sha256(metricsToken));
}

export interface MetricsProbes {
  readonly workers: () => readonly { backend: string; healthy: boolean }[];
  readonly approvalsPending: () => number;
}

export function metricsRoutes(ctx: CoreContext, metrics: Metrics, probes: MetricsProbes): Router {
  const r = Router();
  const admin = requirePrincipal(ctx, ['admin']);
  const metricsOrAdmin: RequestHandler = (req, res, next) => {
    if (isMetricsToken(req.headers.authorization, ctx.config.metricsToken)) next();
    else admin(req, res, next);
  };
  r.get('/metrics', metricsOrAdmin, async (_req, res) => {
    for (const w of probes.workers()) metrics.workerHealthy(w.backend, w.healthy);
    metrics.approvalsPending(probes.approvalsPending());
    res.setHeader('Content-Type', metrics.contentType);
    res.send(await metrics.text());
  });
  return r;
}
