/**
 * One access line per request at info, written when the response finishes (or the client goes
 * away): method, the matched route PATTERN (`/tools/calls/:call_id`, never the concrete path or
 * query, which may carry identifiers), status, duration and request id. Never a header, token
 * or body.
 */
import type { Request, RequestHandler } from 'express';
import type { Logger } from '../logger.ts';
import { requestIdOf } from './locals.ts';

/** The route pattern that served the request, or undefined when no route matched. */
export function routePattern(req: Request): string | undefined {
  const route = (req as { route?: { path?: unknown } }).route;
  if (route === undefined || typeof route.path !== 'string') return undefined;
  return `${req.baseUrl}${route.path}`;
}

export function accessLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const start = process.hrtime.bigint();
    let done = false;
    const line = (): void => {
      if (done) return;
      done = true;
      logger.info('request', {
        method: req.method,
        route: routePattern(req) ?? null,
        status: res.headersSent ? res.statusCode : 0,
        duration_ms: Math.round(Number(process.hrtime.bigint() - start) / 1e4) / 100,
        request_id: requestIdOf(res),
        ...(res.writableFinished ? {} : { aborted: true }),
      });
    };
    res.once('finish', line);
    res.once('close', line);
    next();
  };
}
