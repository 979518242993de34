/**
 * Long-lived streams end with their session (issue 19 item 4). `decideStreamContinue` is the
 * pure decision: the principal that opened the stream must still resolve from the same token,
 * to the same identity (session / agent), of a kind the route allows, and a session's user must
 * still exist. `streamGuard` adapts it to the SSE writer's guard (providers/sse.ts), which runs
 * it before every frame, every `recheckMs`, and ends the stream after `maxLifetimeMs`.
 */
import type { SseGuard } from '../../providers/sse.ts';
import { recheckPrincipal, type AuthResult, type Principal } from '../auth/principal.ts';
import type { AgentStore } from '../auth/agents.ts';
import type { SessionStore } from '../auth/sessions.ts';
import type { UserStore } from '../auth/users.ts';

export type StreamDecision =
  | { ok: true }
  | { ok: false; code: 'GW_ERR_INVALID_TOKEN' | 'GW_ERR_FORBIDDEN'; reason: 'revoked_or_expired' | 'user_deleted' | 'principal_changed' | 'kind_not_allowed' };

export function decideStreamContinue(
  opened: Principal, now: AuthResult, kinds: readonly Principal['kind'][], userExists: (username: string) => boolean,
): StreamDecision {
  if (!now.ok) return { ok: false, code: 'GW_ERR_INVALID_TOKEN', reason: 'revoked_or_expired' };
  const p = now.principal;
  if (!kinds.includes(p.kind)) return { ok: false, code: 'GW_ERR_FORBIDDEN', reason: 'kind_not_allowed' };
  if (p.kind === 'agent') {
    if (opened.kind !== 'agent' || opened.agentId !== p.agentId) return { ok: false, code: 'GW_ERR_INVALID_TOKEN', reason: 'principal_changed' };
    return { ok: true };
  }
  if (opened.kind === 'agent' || opened.sessionId !== p.sessionId || opened.username !== p.username || opened.kind !== p.kind) {
    return { ok: false, code: 'GW_ERR_INVALID_TOKEN', reason: 'principal_changed' };
  }
  if (!userExists(p.username)) return { ok: false, code: 'GW_ERR_INVALID_TOKEN', reason: 'user_deleted' };
  return { ok: true };
}

export interface StreamGuardDeps {
  readonly sessions: SessionStore;
  readonly agents: AgentStore;
  readonly users?: UserStore;
  readonly now: () => number;
  readonly config?: { readonly auth: { readonly streamMaxSeconds: number; readonly streamRecheckMs: number } };
}

const MESSAGES: Record<Exclude<StreamDecision, { ok: true }>['reason'], string> = {
  revoked_or_expired: 'The token of this stream was revoked or expired.',
  user_deleted: 'The account of this stream was deleted.',
  principal_changed: 'The token of this stream now names another principal.',
  kind_not_allowed: 'This stream is not available to this token any more.',
};

/** Defaults when a context carries no stream settings (tests building a bare context). */
export const STREAM_DEFAULTS = { streamMaxSeconds: 3600, streamRecheckMs: 1000 } as const;

export function streamGuard(deps: StreamGuardDeps, authorization: string | undefined, opened: Principal, kinds: readonly Principal['kind'][]): SseGuard {
  const settings = deps.config?.auth ?? STREAM_DEFAULTS;
  return {
    recheckMs: settings.streamRecheckMs,
    maxLifetimeMs: settings.streamMaxSeconds * 1000,
    check() {
      const d = decideStreamContinue(opened, recheckPrincipal(authorization, deps, deps.now()), kinds,
        (u) => deps.users === undefined || deps.users.exists(u));
      return d.ok ? null : { code: d.code, message: MESSAGES[d.reason] };
    },
  };
}
