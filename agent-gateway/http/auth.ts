/**
 * Express adapter for principal resolution: 401 (with WWW-Authenticate) when the token is
 * missing or invalid, 403 when a valid principal is not of an allowed kind. It also leaves a
 * stream guard in res.locals, so any SSE stream the route opens re-checks this principal and
 * ends when it is revoked, expires or is deleted (see stream-guard.ts).
 */
import type { RequestHandler, Response } from 'express';
import { actorOf, resolvePrincipal, type Principal } from '../auth/principal.ts';
import type { AgentStore } from '../auth/agents.ts';
import type { SessionStore } from '../auth/sessions.ts';
import { SSE_GUARD_LOCAL } from '../../providers/sse.ts';
import { gwError } from '../errors.ts';
import { streamGuard, type StreamGuardDeps } from './stream-guard.ts';

export type PrincipalKind = Principal['kind'];

export interface AuthDeps extends StreamGuardDeps {
  readonly sessions: SessionStore;
  readonly agents: AgentStore;
  readonly now: () => number;
}

export function requirePrincipal(deps: AuthDeps, kinds: readonly PrincipalKind[]): RequestHandler {
  return (req, res, next) => {
    const result = resolvePrincipal(req.headers.authorization, deps, deps.now());
    if (!result.ok) {
      next(result.reason === 'missing'
        ? gwError('GW_ERR_UNAUTHENTICATED', 'Send Authorization: Bearer <token>.', {
          headers: { 'WWW-Authenticate': 'Bearer realm="palisade"' },
        })
        : gwError('GW_ERR_INVALID_TOKEN', 'The bearer token is invalid, expired or revoked.', {
          headers: { 'WWW-Authenticate': 'Bearer realm="palisade", error="invalid_token"' },
        }));
      return;
    }
    if (!kinds.includes(result.principal.kind)) {
      next(gwError('GW_ERR_FORBIDDEN', `This route is not available to ${result.principal.kind} tokens.`));
      return;
    }
    principals.set(res, result.principal);
    res.locals[SSE_GUARD_LOCAL] = streamGuard(deps, req.headers.authorization, result.principal, kinds);
    next();
  };
}

/** The principal requirePrincipal resolved for a response: typed storage, never cast from res.locals. */
const principals = new WeakMap<Response, Principal>();

export function principalOf(res: Response): Principal {
  const p = principals.get(res);
  if (p === undefined) throw gwError('GW_ERR_INTERNAL', 'route is missing its authentication middleware');
  return p;
}

export function actor(res: Response): string {
  const p = principals.get(res);
  return p === undefined ? 'anonymous' : actorOf(p);
}
