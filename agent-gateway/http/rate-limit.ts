/**
 * express-rate-limit wrappers that answer 429 as problem+json with Retry-After, and the client
 * identity every per-client limit uses: the whole loopback range (127.0.0.0/8, ::1 and their
 * IPv4-mapped forms) is ONE client, since any local process can bind any 127.x source address.
 */
import { BlockList, isIPv4 } from 'node:net';
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

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** `loopback` for every local source address; else the IPv4 address or the IPv6 /56 prefix. */
export function clientIdentity(address: string | undefined): string {
  if (address === undefined || address === '') return 'unknown';
  const a = address.toLowerCase();
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(a)?.[1];
  const v4 = mapped ?? (isIPv4(a) ? a : undefined);
  try {
    if (v4 !== undefined) return LOOPBACK.check(v4, 'ipv4') ? 'loopback' : v4;
    if (LOOPBACK.check(a, 'ipv6')) return 'loopback'; // ::1, 0:0:…:1, ::ffff:7f00:1
  } catch {
    return 'unknown';
  }
  return ipKeyGenerator(a);
}

export function clientKey(req: Request): string {
  return `ip:${clientIdentity(req.socket.remoteAddress ?? req.ip)}`;
}
