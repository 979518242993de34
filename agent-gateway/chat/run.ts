/**
 * The provider call of a prepared chat, through the failover layer, in the two shapes the
 * routes serve. Non-streaming: the result (or the provider failure) is audited before it is
 * returned, so nothing is answered without its audit line on disk. Streaming: the SSE writer is
 * opened by the adapter; the stream is written, then audited (a failed audit cannot change a
 * response already sent and is logged by auditChat).
 */
import { randomUUID } from 'node:crypto';
import {
  completeWithFailover, isProviderFailure, streamOpenAiCompatible, streamPalisadeChat, streamWithFailover, toOpenAiCompletion,
  type ChatResult, type ProviderName, type SseWriter, type StreamOutcome,
} from '../../providers/index.ts';
import type { CoreContext } from '../context.ts';
import { providerProblem, type ProviderServices } from '../providers-services.ts';
import { auditChat } from './audit.ts';
import type { PreparedChat } from './prepare.ts';

export type ChatRunContext = Pick<CoreContext, 'events' | 'logger' | 'now'>;

export const PALISADE_ROUTE = '/chat/complete';
export const OPENAI_ROUTE = '/v1/chat/completions';

/** Completes without streaming; audits either way; a provider failure is thrown as its problem. */
export async function completeChat(ctx: ChatRunContext, svc: ProviderServices, p: PreparedChat, route: string, path: string, signal: AbortSignal): Promise<{ provider: ProviderName; result: ChatResult }> {
  try {
    const done = await completeWithFailover(p.provider, p.request, svc.failover, signal);
    await auditChat(ctx, svc, p, { ok: true, stream: false, route, provider: done.provider }, path);
    return done;
  } catch (error) {
    if (isProviderFailure(error)) {
      await auditChat(ctx, svc, p, { ok: false, stream: false, route, code: error.code }, path);
      throw providerProblem(error);
    }
    throw error;
  }
}

async function audited(ctx: ChatRunContext, svc: ProviderServices, p: PreparedChat, route: string, path: string, outcome: StreamOutcome): Promise<void> {
  if (!outcome.ok && !outcome.clientGone) ctx.logger.warn('chat stream failed', { request_id: p.caller.requestId, code: outcome.code });
  await auditChat(ctx, svc, p, { ok: outcome.ok, stream: true, route, ...(outcome.ok ? {} : { code: outcome.code }), ...(outcome.provider ? { provider: outcome.provider } : {}) }, path).catch(() => undefined);
}

/** `/chat/complete?stream=true`: Palisade frames, the done frame carries the session id. */
export async function streamPalisade(ctx: ChatRunContext, svc: ProviderServices, p: PreparedChat, path: string, w: SseWriter): Promise<void> {
  const outcome = await streamPalisadeChat(streamWithFailover(p.provider, p.request, svc.failover, w.signal), w, () => ({ session_id: p.sessionId }));
  await audited(ctx, svc, p, PALISADE_ROUTE, path, outcome);
}

/** The id and creation time of one OpenAI-shaped completion. */
export function completionMeta(ctx: Pick<CoreContext, 'now'>): { id: string; created: number } {
  return { id: `chatcmpl-${randomUUID()}`, created: Math.floor(ctx.now() / 1000) };
}

/** `/v1/chat/completions` with `stream: true`: chat.completion.chunk frames under the model the client named. */
export async function streamOpenAi(ctx: ChatRunContext, svc: ProviderServices, p: PreparedChat, path: string, w: SseWriter, meta: { id: string; created: number; model: string }): Promise<void> {
  const outcome = await streamOpenAiCompatible(streamWithFailover(p.provider, p.request, svc.failover, w.signal), w, meta);
  await audited(ctx, svc, p, OPENAI_ROUTE, path, outcome);
}

/** The Palisade-shape body of a completed chat. */
export function palisadeCompletion(done: { provider: ProviderName; result: ChatResult }, sessionId: string): Record<string, unknown> {
  return {
    content: done.result.content, session_id: sessionId, provider: done.provider, model: done.result.model,
    ...(done.result.usage ? { usage: { input_tokens: done.result.usage.inputTokens, output_tokens: done.result.usage.outputTokens } } : {}),
  };
}

/** The OpenAI-shape body of a completed chat, under the model name the client sent. */
export function openAiCompletion(done: { result: ChatResult }, meta: { id: string; created: number }, model: string): Record<string, unknown> {
  return { ...toOpenAiCompletion(done.result, meta), model };
}
