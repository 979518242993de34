/**
 * Everything before the provider call, for both chat routes: parse the request, refuse tool
 * fields to a provider that does not take them, check `page_context`, require a reachable
 * provider, and pass `page_context` through the one redaction/consent ingestion point.
 * Throws 422/503 problems while no byte of the response is sent yet.
 */
import { parseChatRequest, usesToolFields, type ChatRequest, type ProviderName } from '../../providers/index.ts';
import type { JsonObject } from '../../sandbox/json.ts';
import { gwError } from '../errors.ts';
import { ingestPageContext, shareAuditData } from '../privacy/ingest.ts';
import { parsePageContext } from '../privacy/redaction.ts';
import type { ProviderServices } from '../providers-services.ts';
import { requireSomeKey } from './provider-choice.ts';

/** Who asks, as the audit line names them. */
export interface ChatCaller {
  readonly subject: string;
  readonly actor: string;
  readonly requestId: string;
}

/** A chat ready for the provider call. */
export interface PreparedChat {
  readonly caller: ChatCaller;
  readonly subject: string;
  readonly provider: ProviderName;
  readonly request: ChatRequest;
  readonly sessionId: string;
  /** The redaction summary for the audit line (field names only), or null without page_context. */
  readonly share: JsonObject | null;
}

export function prepareChat(svc: ProviderServices, caller: ChatCaller, provider: ProviderName, raw: Record<string, unknown>, pageContext: unknown): PreparedChat {
  const subject = caller.subject;
  const parsed = parseChatRequest(raw);
  if (!parsed.ok) throw gwError('GW_ERR_VALIDATION', 'Invalid chat request.', { extras: { errors: parsed.problems.map((m) => ({ instancePath: '', message: m })) } });
  if (usesToolFields(parsed.request, parsed.request.messages) && svc.registry.endpoint(provider).wire !== 'openai') {
    throw gwError('GW_ERR_VALIDATION', `tools, tool_choice, response_format and tool messages are passed only to OpenAI-wire providers (openai, openrouter); ${provider} does not take them.`);
  }
  if (pageContext !== undefined) {
    const pre = parsePageContext(pageContext);
    if (!pre.ok) throw gwError('GW_ERR_VALIDATION', 'Invalid page_context.', { extras: { errors: pre.problems.map((m) => ({ instancePath: '/page_context', message: m })) } });
  }
  requireSomeKey(svc, provider);
  // the session row is written once, with the audit line, when the chat ends (issue 23)
  const sessionId = svc.sessions.newId();
  let request = parsed.request;
  let share: JsonObject | null = null;
  if (pageContext !== undefined) {
    const ingested = ingestPageContext(pageContext, { rules: svc.rules, consent: svc.consent }, { subject, provider, sessionId });
    if (!ingested.ok) throw gwError('GW_ERR_VALIDATION', 'Invalid page_context.');
    request = { ...request, messages: [ingested.message, ...request.messages] };
    share = { ...shareAuditData(ingested.redaction), consent_id: ingested.consentId };
  }
  return { caller, subject, provider, request, sessionId, share };
}
