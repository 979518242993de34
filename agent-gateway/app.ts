/**
 * createApp(ctx): the Express application, wired from an already-built context. No I/O at
 * import or here: stores, backends and logs are opened by gateway.ts (or a test).
 * Order: request id → Host check → helmet → CORS → JSON body → routes → 404 → problem+json.
 */
import express, { type Express, type Router } from 'express';
import type { CoreContext } from './context.ts';
import { gwError } from './errors.ts';
import { jsonBody } from './http/body.ts';
import { cors } from './http/cors.ts';
import { hostCheck } from './http/host-check.ts';
import { errorMiddleware } from './http/problem.ts';
import { openAiErrorMiddleware } from './http/openai-errors.ts';
import { openApiRoutes } from './http/openapi.ts';
import { httpMetrics } from './metrics/observer.ts';
import { requestId } from './http/request-id.ts';
import { pathCheck, securityHeaders } from './http/security-headers.ts';
import { accessLog } from './http/access-log.ts';
import { agentRoutes } from './http/routes/agents.ts';
import { authRoutes } from './http/routes/auth.ts';
import { healthRoutes } from './http/routes/health.ts';
import { mcpParseErrors } from './http/routes/mcp.ts';
import { userRoutes } from './http/routes/users.ts';

export function createApp(ctx: CoreContext, extraRoutes: readonly Router[] = []): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.set('etag', false);
  app.use(requestId());
  app.use(accessLog(ctx.logger));
  app.use(httpMetrics(ctx.metrics));
  app.use(hostCheck(ctx.config.host, ctx.config.allowedHosts));
  app.use(securityHeaders()); // explicit JSON CSP, no HSTS on plain-http loopback (routes may set their own CSP)
  app.use(pathCheck());
  app.use(cors(ctx.config.corsOrigins));
  app.use(jsonBody(ctx.config.limits.bodyBytes));
  app.use(healthRoutes(ctx));
  app.use(openApiRoutes(ctx));
  app.use(authRoutes(ctx));
  app.use(userRoutes(ctx));
  app.use(agentRoutes(ctx));
  for (const r of extraRoutes) app.use(r);
  app.use((_req, _res, next) => next(gwError('GW_ERR_NOT_FOUND', 'No such route.')));
  app.use('/v1', openAiErrorMiddleware(ctx.logger));
  app.use('/mcp', mcpParseErrors(ctx));
  app.use(errorMiddleware(ctx.logger));
  return app;
}
