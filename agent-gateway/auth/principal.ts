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

export function resolvePrincipal(
  authorization: string | undefined,
  stores: { sessions: SessionStore; agents: AgentStore },
  now: number,
): AuthResult {
  const { present, token } = bearerToken(authorization);
  if (!present) return { ok: false, reason: 'missing' };
  if (token === undefined) return { ok: false, reason: 'invalid' };
  const started = performance.now();
  const result = resolveToken(token, stores, now);
  stageSince('auth', started);
  return result;
}

function resolveToken(token: string, stores: { sessions: SessionStore; agents: AgentStore }, now: number): AuthResult {
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
