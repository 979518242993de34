/**
 * Typed GDPR data subjects. Users and agents live in separate id spaces, so a subject is
 * always one of `user:<username>` or `agent:<agent id>`; the v1 query shape `?subject=<name>`
 * still works and means a USER (usernames never contain `:`). Who may act on a subject is a
 * pure decision: an admin on any subject; a user only on `user:<their own username>`; an agent
 * on none.
 */
export type Subject = { readonly kind: 'user'; readonly id: string } | { readonly kind: 'agent'; readonly id: string };

export const SUBJECT_MAX = 256;

export type SubjectCheck = { ok: true; subject: Subject } | { ok: false; code: 'GW_ERR_VALIDATION'; message: string };

const bad = (message: string): SubjectCheck => ({ ok: false, code: 'GW_ERR_VALIDATION', message });

/** Pure: `user:bob`, `agent:bot1`, or a bare `bob` (a user). Anything else is refused. */
export function parseSubject(raw: unknown): SubjectCheck {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > SUBJECT_MAX || /[\u0000-\u001f\u007f]/.test(raw)) {
    return bad(`Send ?subject=user:<name>, agent:<id> or <name> (1..${SUBJECT_MAX} characters).`);
  }
  const colon = raw.indexOf(':');
  if (colon === -1) return { ok: true, subject: { kind: 'user', id: raw } };
  const kind = raw.slice(0, colon);
  const id = raw.slice(colon + 1);
  if (id === '') return bad('The subject id after the type prefix is empty.');
  if (kind === 'user') return id.includes(':') ? bad('A username never contains ":".') : { ok: true, subject: { kind: 'user', id } };
  if (kind === 'agent') return { ok: true, subject: { kind: 'agent', id } };
  return bad('A typed subject is written user:<name> or agent:<id>.');
}

/**
 * The string a subject is stored under in subject-bearing stores and the audit log: the bare
 * username for a user (as every store has always written it) and `agent:<id>` for an agent,
 * which can never equal a username.
 */
export function subjectKey(s: Subject): string {
  return s.kind === 'user' ? s.id : `agent:${s.id}`;
}

export type SubjectAccess = { ok: true; subject: Subject } | { ok: false; code: 'GW_ERR_VALIDATION' | 'GW_ERR_FORBIDDEN'; message: string };

/** Pure: who may act on which subject. */
export function decideSubjectAccess(principal: { kind: 'admin' | 'user' | 'agent'; name: string }, raw: unknown): SubjectAccess {
  const parsed = parseSubject(raw);
  if (!parsed.ok) return parsed;
  if (principal.kind === 'admin') return parsed;
  if (principal.kind === 'user' && parsed.subject.kind === 'user' && parsed.subject.id === principal.name) return parsed;
  return { ok: false, code: 'GW_ERR_FORBIDDEN', message: 'Only an admin or the subject themself may do this.' };
}
