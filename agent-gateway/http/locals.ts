/**
 * Typed accessors for what the middleware put on `res.locals` (the request id from
 * request-id.ts, the principal from auth.ts), so routes never cast `res.locals` themselves.
 */
import type { Response } from 'express';
import type { ApprovalPrincipal } from '../approvals/principal.ts';
import { principalOf } from './auth.ts';

/** The id request-id.ts generated for this request ('' if that middleware did not run). */
export function requestIdOf(res: Response): string {
  const id: unknown = res.locals['requestId'];
  return typeof id === 'string' ? id : '';
}

/** The authenticated principal as the approval rules see it (kind + name, no token data). */
export function approvalPrincipalOf(res: Response): ApprovalPrincipal {
  const p = principalOf(res);
  return p.kind === 'agent' ? { kind: 'agent', agentId: p.agentId } : { kind: p.kind, username: p.username };
}
