/**
 * The encrypted payload of a line, and the decrypted entry a reader gets back.
 * Payload JSON: `{t, a, o, r?, d?, sh?, sx?}`: type, actor, outcome, request id, data
 * (without personal fields), subject hash, and the subject + `data.pii` sealed under the
 * subject's key. When the actor is the subject itself (`user:<subject>`), the actor id is
 * sealed too. Decrypted payloads are still rebuilt field by field.
 */
import type { EventOutcome, StoredEvent } from '../events.ts';
import { isPlainObject, type JsonObject, type JsonValue } from '../../sandbox/json.ts';
import { AuditError } from './errors.ts';
import { MAX_PAYLOAD_BYTES } from './line.ts';
import { openForSubject, sealForSubject, type SealedSubject, type SubjectKeyStore } from './subjects.ts';

export interface AuditEntry {
  readonly seq: number;
  readonly ts: string;
  readonly type: string;
  readonly actor: string;
  readonly outcome: EventOutcome;
  readonly subject?: string;
  /** keyed hash of the subject (stable lookup reference, not reversible) */
  readonly subject_ref?: string;
  /** the subject's key was destroyed: subject and personal data are gone */
  readonly subject_erased?: true;
  readonly request_id?: string;
  readonly data?: JsonObject;
}

const OUTCOMES: ReadonlySet<string> = new Set<EventOutcome>(['ok', 'denied', 'error', 'pending']);
/** stands in for a sealed actor id (`user:<subject>`) in the payload, and after erasure */
export const ERASED = '[erased]';
/** the `data` field holding personal data, sealed with the subject key */
export const PII_FIELD = 'pii';

function checkString(value: unknown, max: number, what: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > max) {
    throw new AuditError('AUDIT_ERR_EVENT_INVALID', `${what} must be a string of 1..${max} chars`);
  }
  return value;
}

/** Validates an event and serializes its payload, sealing personal fields when a subject is set. */
export function encodePayload(event: StoredEvent, subjects: SubjectKeyStore | null): string {
  const out: Record<string, JsonValue> = {
    t: checkString(event.type, 128, 'type'),
    a: checkString(event.actor, 256, 'actor'),
    o: OUTCOMES.has(event.outcome) ? event.outcome : (() => { throw new AuditError('AUDIT_ERR_EVENT_INVALID', 'bad outcome'); })(),
  };
  if (event.requestId !== undefined) out['r'] = checkString(event.requestId, 128, 'requestId');
  let pii: JsonValue | undefined;
  if (event.data !== undefined) {
    if (!isPlainObject(event.data)) throw new AuditError('AUDIT_ERR_EVENT_INVALID', 'data must be a plain object');
    let data: JsonObject;
    try {
      data = JSON.parse(JSON.stringify(event.data)) as JsonObject;
    } catch {
      throw new AuditError('AUDIT_ERR_EVENT_INVALID', 'data is not JSON-serializable');
    }
    if (Object.hasOwn(data, PII_FIELD)) {
      pii = data[PII_FIELD];
      delete data[PII_FIELD];
    }
    out['d'] = data;
  }
  if (event.subject !== undefined) {
    const subject = checkString(event.subject, 512, 'subject');
    if (subjects === null) throw new AuditError('AUDIT_ERR_EVENT_INVALID', 'events with a subject need the subject key store');
    const { hash, key } = subjects.keyFor(subject);
    const inner: Record<string, JsonValue> = { s: subject };
    if (pii !== undefined) inner['p'] = pii;
    const actor = out['a'] as string;
    if (actor.endsWith(`:${subject}`)) { // the subject is the actor: shred the actor id too
      inner['a'] = actor;
      out['a'] = `${actor.slice(0, actor.length - subject.length)}${ERASED}`;
    }
    out['sh'] = hash;
    out['sx'] = { ...sealForSubject(key, hash, JSON.stringify(inner)) };
  } else if (pii !== undefined) {
    (out['d'] as JsonObject)[PII_FIELD] = pii; // no subject to shred by: stays under the audit key only
  }
  const text = JSON.stringify(out);
  if (Buffer.byteLength(text, 'utf8') > MAX_PAYLOAD_BYTES) throw new AuditError('AUDIT_ERR_EVENT_TOO_LARGE', `max ${MAX_PAYLOAD_BYTES} bytes`);
  return text;
}

function isSealed(v: unknown): v is SealedSubject {
  return isPlainObject(v) && typeof v['iv'] === 'string' && typeof v['ct'] === 'string' && typeof v['tag'] === 'string';
}

/** Rebuilds the entry of a decrypted payload; null when the payload has the wrong shape. */
export function decodePayload(seq: number, ts: string, text: string, subjects: SubjectKeyStore | null): AuditEntry | null {
  let p: unknown;
  try {
    p = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isPlainObject(p)) return null;
  const { t, a, o, r, d, sh, sx } = p;
  if (typeof t !== 'string' || typeof a !== 'string' || typeof o !== 'string' || !OUTCOMES.has(o)) return null;
  if (r !== undefined && typeof r !== 'string') return null;
  if (d !== undefined && !isPlainObject(d)) return null;
  let data = d as JsonObject | undefined;
  let actor: string = a;
  let subject: string | undefined;
  let erased = false;
  if (sh !== undefined) {
    if (typeof sh !== 'string' || !isSealed(sx)) return null;
    const key = subjects === null ? null : subjects.keyByHash(sh);
    const opened = key === null ? null : openForSubject(key, sh, sx);
    if (opened === null) erased = subjects !== null; // without the key store we simply cannot tell
    else {
      let inner: unknown;
      try {
        inner = JSON.parse(opened);
      } catch {
        return null;
      }
      if (!isPlainObject(inner) || typeof inner['s'] !== 'string') return null;
      subject = inner['s'];
      if (typeof inner['a'] === 'string') actor = inner['a'];
      if (Object.hasOwn(inner, 'p')) data = { ...(data ?? {}), [PII_FIELD]: inner['p'] as JsonValue };
    }
  }
  return {
    seq, ts, type: t, actor, outcome: o as EventOutcome,
    ...(subject !== undefined ? { subject } : {}),
    ...(typeof sh === 'string' ? { subject_ref: sh } : {}),
    ...(erased ? { subject_erased: true as const } : {}),
    ...(typeof r === 'string' ? { request_id: r } : {}),
    ...(data !== undefined ? { data } : {}),
  };
}
