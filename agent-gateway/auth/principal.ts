/**
 * Who is calling: a pure resolution from the Authorization header to a principal.
 * Admin/user session tokens and agent tokens have different prefixes and stores, so they
 * are never interchangeable.
 */
import type { AgentPrincipal, AgentStore } from './agents.ts';
import type { SessionPrincipal, SessionStore } from './sessions.ts';
import { bearerToken, tokenKind } from './tokens.ts';
import { stageSince } from '../metrics/stages.ts';

export type Principal =
  | ({ readonly kind: 'admin' } & SessionPrincipal)
  | ({ readonly kind: 'user' } & SessionPrincipal)
  | ({ readonly kind: 'agent' } & AgentPrincipal);

export type AuthResult =
  | { ok: true; principal: Principal }
  | { ok: false; reason: 'missing' | 'invalid' };

type Stores = { sessions: SessionStore; agents: AgentStore };

function resolveHeader(authorization: string | undefined, stores: Stores, now: number, timed: boolean): AuthResult {
  const { present, token } = bearerToken(authorization);
  if (!present) return { ok: false, reason: 'missing' };
  if (token === undefined) return { ok: false, reason: 'invalid' };
  if (!timed) return resolveToken(token, stores, now);
  const started = performance.now();
  const result = resolveToken(token, stores, now);
  stageSince('auth', started);
  return result;
}

/** The principal of a request's Authorization header; the lookup is timed as the `auth` stage. */
export function resolvePrincipal(authorization: string | undefined, stores: Stores, now: number): AuthResult {
  return resolveHeader(authorization, stores, now, true);
}

/**
 * The same resolution, against the same stores, for an open stream's re-check (before every
 * frame and every second, http/stream-guard.ts). A re-check is not a request: it is not timed
 * as the `auth` stage, so a long chat stream does not fill the per-request histogram.
 */
export function recheckPrincipal(authorization: string | undefined, stores: Stores, now: number): AuthResult {
  return resolveHeader(authorization, stores, now, false);
}

function resolveToken(token: string, stores: Stores, now: number): AuthResult {
  switch (tokenKind(token)) {
    case 'access': {
      const s = stores.sessions.authenticate(token, now);
      if (!s) return { ok: false, reason: 'invalid' };
      return { ok: true, principal: s.role === 'admin' ? { kind: 'admin', ...s } : { kind: 'user', ...s } };
    }
    case 'agent': {
      const a = stores.agents.authenticate(token, now);
      return a ? { ok: true, principal: { kind: 'agent', ...a } } : { ok: false, reason: 'invalid' };
    }
    case 'refresh':
    case 'setup':
    case 'device':
    case undefined:
      return { ok: false, reason: 'invalid' };
  }
}

/** `admin:alice`, `user:bob`, `agent:build-bot` — the actor string used in events and audit. */
export function actorOf(p: Principal): string {
  return p.kind === 'agent' ? `agent:${p.agentId}` : `${p.kind}:${p.username}`;
}
