/**
 * Every sqlite record about one TYPED subject, for GDPR export and erase. Users and agents
 * never share rows here:
 * - user:U → the `users` row (no password fields), the `sessions` rows (login history, no
 *   token hashes), consent records and chat sessions stored under U, and the approvals U
 *   requested (`requested_by` = `user:U` / `admin:U`). Erase deletes the users row, the
 *   sessions rows (every token of U stops working), consent records and chat sessions, and
 *   ANONYMISES `requested_by` on those approvals (they belong to an agent's call, which stays).
 * - agent:X → approvals and tool calls of agent X (and consent/chat rows stored under
 *   `agent:X`). Erase deletes them. Nothing of a user named X is read or touched.
 * Reads are pure queries; `eraseRecords` runs in one transaction.
 */
import type { DatabaseSync } from 'node:sqlite';
import { rowToItem, type ApprovalItem } from '../approvals/item.ts';
import type { CallRecord, CallStore } from '../approvals/calls.ts';
import type { UserStore } from '../auth/users.ts';
import { transaction } from '../store/db.ts';
import type { ChatSession, ChatSessionStore, ConsentRecord, ConsentStore } from './stores.ts';
import { subjectKey, type Subject } from './subjects.ts';

export const ERASED_REQUESTER = 'erased-subject';

export interface SubjectStores {
  readonly db: DatabaseSync;
  readonly consent: ConsentStore;
  readonly chats: ChatSessionStore;
  readonly calls: CallStore;
  readonly users: UserStore;
}

export interface UserRow { readonly username: string; readonly role: string; readonly created_at: string; readonly updated_at: string }
export interface LoginSession {
  readonly id: string; readonly family_id: string; readonly role: string; readonly created_at: string;
  readonly access_expires_at: string; readonly refresh_expires_at: string;
  readonly rotated_at: string | null; readonly revoked_at: string | null; readonly revoke_reason: string | null;
}

export interface SubjectRecords {
  readonly users: UserRow[];
  readonly sessions: LoginSession[];
  readonly consent_records: ConsentRecord[];
  readonly chat_sessions: ChatSession[];
  readonly approvals: ApprovalItem[];
  readonly tool_calls: CallRecord[];
}

export type EraseCounts = { readonly [K in keyof SubjectRecords]: number };

const iso = (v: unknown): string | null => (v === null || v === undefined ? null : new Date(Number(v)).toISOString());
const requesters = (username: string): [string, string] => [`user:${username}`, `admin:${username}`];

function loginSessions(db: DatabaseSync, username: string): LoginSession[] {
  return db.prepare(`SELECT id, family_id, role, created_at, access_expires_at, refresh_expires_at, rotated_at, revoked_at, revoke_reason
      FROM sessions WHERE username = ? ORDER BY created_at, id`).all(username).map((r) => ({
    id: String(r['id']), family_id: String(r['family_id']), role: String(r['role']), created_at: iso(r['created_at']) as string,
    access_expires_at: iso(r['access_expires_at']) as string, refresh_expires_at: iso(r['refresh_expires_at']) as string,
    rotated_at: iso(r['rotated_at']), revoked_at: iso(r['revoked_at']), revoke_reason: r['revoke_reason'] === null ? null : String(r['revoke_reason']),
  }));
}

function approvalsOf(db: DatabaseSync, s: Subject): ApprovalItem[] {
  const rows = s.kind === 'agent'
    ? db.prepare('SELECT * FROM approvals WHERE agent_id = ? ORDER BY created_at, id').all(s.id)
    : db.prepare('SELECT * FROM approvals WHERE requested_by IN (?, ?) ORDER BY created_at, id').all(...requesters(s.id));
  return rows.map(rowToItem);
}

/** Pure read: everything stored about the subject. */
export function subjectRecords(s: Subject, st: SubjectStores): SubjectRecords {
  const key = subjectKey(s);
  const user = s.kind === 'user' ? st.users.list().find((u) => u.username === s.id) : undefined;
  return {
    users: user === undefined ? [] : [user],
    sessions: s.kind === 'user' ? loginSessions(st.db, s.id) : [],
    consent_records: st.consent.exportSubject(key),
    chat_sessions: st.chats.exportSubject(key),
    approvals: approvalsOf(st.db, s),
    tool_calls: s.kind === 'agent' ? st.calls.forAgent(s.id) : [],
  };
}

export function countsOf(r: SubjectRecords): EraseCounts {
  return {
    users: r.users.length, sessions: r.sessions.length, consent_records: r.consent_records.length,
    chat_sessions: r.chat_sessions.length, approvals: r.approvals.length, tool_calls: r.tool_calls.length,
  };
}

/** Removes (or, for approvals a user requested, anonymises) the subject's rows in one transaction. */
export function eraseRecords(s: Subject, st: SubjectStores): EraseCounts {
  const key = subjectKey(s);
  return transaction(st.db, () => {
    const consent_records = st.consent.eraseSubject(key);
    const chat_sessions = st.chats.eraseSubject(key);
    if (s.kind === 'agent') {
      return {
        users: 0, sessions: 0, consent_records, chat_sessions,
        approvals: Number(st.db.prepare('DELETE FROM approvals WHERE agent_id = ?').run(s.id).changes),
        tool_calls: st.calls.deleteForAgent(s.id),
      };
    }
    const approvals = Number(st.db.prepare('UPDATE approvals SET requested_by = ? WHERE requested_by IN (?, ?)').run(ERASED_REQUESTER, ...requesters(s.id)).changes);
    const sessions = Number(st.db.prepare('DELETE FROM sessions WHERE username = ?').run(s.id).changes);
    const users = st.users.delete(s.id) ? 1 : 0;
    return { users, sessions, consent_records, chat_sessions, approvals, tool_calls: 0 };
  });
}
