/**
 * CORS for exact configured origins only (never `*`). A request carrying an Origin that is
 * not configured is refused with 403, so a web page cannot drive the gateway; requests
 * without Origin (CLI agents) pass.
 */
import type { RequestHandler } from 'express';
import { gwError } from '../errors.ts';

export type CorsDecision = { ok: true; allowOrigin: string | undefined } | { ok: false };

/**
 * `host` is the request's Host header, already accepted by the Host check (which runs first):
 * an Origin of exactly `http://<that host>` is the gateway's own page (the console, which
 * browsers make send Origin on module scripts and POSTs) and passes without CORS headers.
 */
export function decideCors(origin: string | undefined, allowed: readonly string[], host?: string): CorsDecision {
  if (origin === undefined) return { ok: true, allowOrigin: undefined };
  if (host !== undefined && host !== '' && origin.toLowerCase() === `http://${host.toLowerCase()}`) return { ok: true, allowOrigin: undefined };
  return allowed.includes(origin) ? { ok: true, allowOrigin: origin } : { ok: false };
}

export function cors(allowed: readonly string[]): RequestHandler {
  return (req, res, next) => {
    res.vary('Origin');
    const decision = decideCors(req.headers.origin, allowed, req.headers.host);
    if (!decision.ok) {
      next(gwError('GW_ERR_ORIGIN_NOT_ALLOWED', 'This Origin is not configured in PALISADE_CORS_ORIGINS.'));
      return;
    }
    if (decision.allowOrigin !== undefined) {
      res.setHeader('Access-Control-Allow-Origin', decision.allowOrigin);
      res.setHeader('Access-Control-Expose-Headers', 'X-Request-Id, Retry-After, WWW-Authenticate');
      if (req.method === 'OPTIONS') {
        res.setHeader('Access-Control-Allow-Methods', 'GET, POST, PUT, DELETE');
        // the Mcp-* headers are the ones the official MCP client sends on POST /mcp
        res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type, X-Palisade-Provider, Mcp-Protocol-Version, Mcp-Method, Mcp-Name, Last-Event-ID');
        res.setHeader('Access-Control-Max-Age', '600');
        res.status(204).end();
        return;
      }
    }
    next();
  };
}
