/**
 * The single ingestion point for a chat request's `page_context`: parse, redact with the
 * origin's stored rule, write the consent record (field NAMES only), and build the system
 * message for the provider. Callers must use only the returned (redacted) values for the
 * provider call, audit events and logs.
 */
import type { ChatMessage } from '../../providers/types.ts';
import { pageContextMessage } from './context-message.ts';
import { parsePageContext, redactPageContext, type RedactionResult } from './redaction.ts';
import type { ConsentStore, RedactionRuleStore } from './stores.ts';

export type IngestResult =
  | { ok: true; redaction: RedactionResult; message: ChatMessage; consentId: number }
  | { ok: false; code: 'GW_ERR_VALIDATION'; problems: string[] };

export function ingestPageContext(
  input: unknown,
  stores: { rules: RedactionRuleStore; consent: ConsentStore },
  share: { subject: string; provider: string; sessionId?: string },
): IngestResult {
  const parsed = parsePageContext(input);
  if (!parsed.ok) return parsed;
  const redaction = redactPageContext(parsed, stores.rules.compiledFor(parsed.origin));
  const consentId = stores.consent.record({
    subject: share.subject,
    origin: redaction.origin,
    fieldsShared: redaction.sharedFields,
    fieldsRedacted: redaction.redactedFields,
    provider: share.provider,
    ...(share.sessionId !== undefined ? { sessionId: share.sessionId } : {}),
  });
  return { ok: true, redaction, message: pageContextMessage(redaction), consentId };
}

/** Audit-safe summary of a share: origin and field names, never values. */
export function shareAuditData(redaction: RedactionResult): { origin: string; fields_shared: string[]; fields_redacted: string[] } {
  return { origin: redaction.origin, fields_shared: [...redaction.sharedFields], fields_redacted: [...redaction.redactedFields] };
}
