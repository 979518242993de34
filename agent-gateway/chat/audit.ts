/**
 * The end of every chat: the session row and one durable `chat.complete` audit line with
 * provider, model, session and the redaction summary (field names only), never a key, message
 * text or an unredacted value. The caller answers only after this resolves; a failed write is
 * logged by name and rethrown.
 */
import type { ProviderName } from '../../providers/index.ts';
import type { JsonObject } from '../../sandbox/json.ts';
import type { CoreContext } from '../context.ts';
import type { ProviderServices } from '../providers-services.ts';
import type { PreparedChat } from './prepare.ts';

export interface ChatOutcome {
  readonly ok: boolean;
  readonly code?: string;
  readonly provider?: ProviderName;
  readonly stream: boolean;
  readonly route: string;
}

export type ChatAuditContext = Pick<CoreContext, 'events' | 'logger'>;

export async function auditChat(ctx: ChatAuditContext, svc: Pick<ProviderServices, 'sessions'>, p: PreparedChat, outcome: ChatOutcome, path: string): Promise<void> {
  const data: JsonObject = {
    route: outcome.route, provider: p.provider, model: p.request.model, session_id: p.sessionId, stream: outcome.stream,
    messages: p.request.messages.length, redaction: p.share,
    ...(outcome.provider ? { provider_used: outcome.provider } : {}), ...(outcome.code ? { code: outcome.code } : {}),
  };
  // the audit batch is queued first: the session row's own (non-durable) sqlite write then does
  // not run ahead of it in the same event-loop phase
  const recorded = ctx.events.record({ type: 'chat.complete', actor: p.caller.actor, subject: p.subject, outcome: outcome.ok ? 'ok' : 'error', requestId: p.caller.requestId, data });
  recorded.catch(() => undefined); // awaited below; a throw on the next line must not leave it unhandled
  svc.sessions.record(p.sessionId, { subject: p.subject, provider: outcome.provider ?? p.provider, model: p.request.model, messages: p.request.messages.length + (outcome.ok ? 1 : 0) });
  try {
    await recorded;
  } catch (error) {
    ctx.logger.error('chat audit failed', { request_id: p.caller.requestId, error: error instanceof Error ? error.name : 'unknown', path });
    throw error;
  }
}
