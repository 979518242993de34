/**
 * express-rate-limit wrappers that answer 429 as problem+json with Retry-After.
 */
import type { Request, RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import { gwError } from '../errors.ts';

export interface LimitOptions {
  readonly windowSeconds: number;
  readonly limit: number;
  readonly key: (req: Request) => string;
  readonly onLimited?: (req: Request) => void;
  readonly skipSuccessful?: boolean;
}

export function limiter(opts: LimitOptions): RequestHandler {
  return rateLimit({
    windowMs: opts.windowSeconds * 1000,
    limit: opts.limit,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    skipSuccessfulRequests: opts.skipSuccessful ?? false,
    keyGenerator: (req) => opts.key(req),
    validate: { keyGeneratorIpFallback: false },
    handler: (req, _res, next) => {
      const reset = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
      const retryAfter = Math.max(1, Math.ceil(((reset?.getTime() ?? Date.now() + opts.windowSeconds * 1000) - Date.now()) / 1000));
      opts.onLimited?.(req);
      next(gwError('GW_ERR_RATE_LIMITED', `Too many attempts; retry in ${retryAfter} s.`, {
        headers: { 'Retry-After': String(retryAfter) },
      }));
    },
  });
}

export function clientKey(req: Request): string {
  return `ip:${ipKeyGenerator(req.ip ?? req.socket.remoteAddress ?? 'unknown')}`;
}
