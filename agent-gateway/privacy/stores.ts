/**
 * Small sqlite stores for privacy data. Each subject-bearing store has `exportSubject` (plain
 * JSON rows) and `eraseSubject` (returns the number of rows removed) for GDPR export/erase.
 * Callers pass already-redacted values: these stores hold field NAMES, never field values.
 */
import { randomUUID } from 'node:crypto';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { compileRule, normalizeOrigin, parseRedactionRule, type CompiledRule, type RedactionRule } from './rules.ts';

type Now = () => number;
const MAX_SUMMARY = 2000;
const names = (list: readonly string[]): string => JSON.stringify(list.slice(0, 500).map((s) => s.slice(0, 256)));
const parseNames = (text: unknown): string[] => {
  try {
    const v: unknown = JSON.parse(String(text));
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
};

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const storedShape = (raw: unknown): RedactionRule => {
  const o = raw !== null && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
  return { fields: strings(o['fields']), patterns: Array.isArray(o['patterns']) ? o['patterns'].map(String) : [] };
};

export interface StoredRule {
  readonly origin: string;
  readonly rule: RedactionRule;
  readonly updatedAt: number;
  readonly updatedBy: string;
}

export type RulePutResult = { ok: true; origin: string; rule: RedactionRule } | { ok: false; code: 'GW_ERR_VALIDATION'; problems: string[] };

export class RedactionRuleStore {
  readonly #db: DatabaseSync;
  readonly #now: Now;
  readonly #cache = new Map<string, CompiledRule | null>();
  constructor(db: DatabaseSync, options: { now?: Now } = {}) {
    this.#db = db;
    this.#now = options.now ?? Date.now;
  }

  /** Validates origin and rule; the origin is stored normalized. */
  put(origin: unknown, rule: unknown, actor: string): RulePutResult {
    const o = normalizeOrigin(origin);
    const r = parseRedactionRule(rule);
    if (!o.ok || !r.ok) return { ok: false, code: 'GW_ERR_VALIDATION', problems: [...(o.ok ? [] : o.problems), ...(r.ok ? [] : r.problems)] };
    this.#db
      .prepare('INSERT INTO redaction_rules (origin, rule_json, updated_at, updated_by) VALUES (?, ?, ?, ?) ON CONFLICT(origin) DO UPDATE SET rule_json = excluded.rule_json, updated_at = excluded.updated_at, updated_by = excluded.updated_by')
      .run(o.origin, JSON.stringify(r.rule), this.#now(), actor.slice(0, 200));
    this.#cache.delete(o.origin);
    return { ok: true, origin: o.origin, rule: r.rule };
  }

  get(origin: unknown): StoredRule | undefined {
    const o = normalizeOrigin(origin);
    if (!o.ok) return undefined;
    const row = this.#db.prepare('SELECT origin, rule_json, updated_at, updated_by FROM redaction_rules WHERE origin = ?').get(o.origin);
    return row ? this.#row(row) : undefined;
  }

  /** The compiled rule for a normalized origin (as produced by parsePageContext), cached. */
  compiledFor(origin: string): CompiledRule | undefined {
    if (!this.#cache.has(origin)) {
      const stored = this.get(origin);
      this.#cache.set(origin, stored ? compileRule(stored.rule) : null);
    }
    return this.#cache.get(origin) ?? undefined;
  }

  list(): StoredRule[] {
    return this.#db.prepare('SELECT origin, rule_json, updated_at, updated_by FROM redaction_rules ORDER BY origin').all().map((r) => this.#row(r));
  }

  delete(origin: unknown): boolean {
    const o = normalizeOrigin(origin);
    if (!o.ok) return false;
    this.#cache.delete(o.origin);
    return Number(this.#db.prepare('DELETE FROM redaction_rules WHERE origin = ?').run(o.origin).changes) > 0;
  }

  #row(row: Record<string, unknown>): StoredRule {
    const raw: unknown = JSON.parse(String(row['rule_json']));
    const parsed = parseRedactionRule(raw);
    return {
      origin: String(row['origin']),
      // a stored rule that no longer validates (e.g. a JS-only pattern saved before RE2) keeps
      // its fields and patterns: compileRule then fails closed instead of dropping it
      rule: parsed.ok ? parsed.rule : storedShape(raw),
      updatedAt: Number(row['updated_at']),
      updatedBy: String(row['updated_by']),
    };
  }
}

export interface ConsentRecord {
  readonly id: number;
  readonly subject: string;
  readonly origin: string;
  readonly fieldsShared: string[];
  readonly fieldsRedacted: string[];
  readonly provider: string;
  readonly sessionId: string | null;
  readonly createdAt: number;
}

export class ConsentStore {
  readonly #db: DatabaseSync;
  readonly #now: Now;
  /** prepared once: every chat that carries page_context writes one record (issue 23) */
  readonly #insert: StatementSync;
  constructor(db: DatabaseSync, options: { now?: Now } = {}) {
    this.#db = db;
    this.#now = options.now ?? Date.now;
    this.#insert = db.prepare('INSERT INTO consent_records (subject, origin, fields_shared, fields_redacted, provider, session_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
  }

  record(entry: { subject: string; origin: string; fieldsShared: readonly string[]; fieldsRedacted: readonly string[]; provider: string; sessionId?: string }): number {
    const out = this.#insert.run(entry.subject, entry.origin, names(entry.fieldsShared), names(entry.fieldsRedacted), entry.provider, entry.sessionId ?? null, this.#now());
    return Number(out.lastInsertRowid);
  }

  exportSubject(subject: string): ConsentRecord[] {
    return this.#db.prepare('SELECT * FROM consent_records WHERE subject = ? ORDER BY id').all(subject).map((r) => ({
      id: Number(r['id']),
      subject: String(r['subject']),
      origin: String(r['origin']),
      fieldsShared: parseNames(r['fields_shared']),
      fieldsRedacted: parseNames(r['fields_redacted']),
      provider: String(r['provider']),
      sessionId: r['session_id'] === null ? null : String(r['session_id']),
      createdAt: Number(r['created_at']),
    }));
  }

  eraseSubject(subject: string): number {
    return Number(this.#db.prepare('DELETE FROM consent_records WHERE subject = ?').run(subject).changes);
  }
}

export interface ChatSession {
  readonly id: string;
  readonly subject: string;
  readonly provider: string;
  readonly model: string;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly messageCount: number;
  readonly summary: string;
}

export class ChatSessionStore {
  readonly #db: DatabaseSync;
  readonly #now: Now;
  // prepared once: every chat request creates and touches a session row (issue 23)
  readonly #insert: StatementSync;
  readonly #touch: StatementSync;
  readonly #insertDone: StatementSync;
  readonly #pending: Array<[string, string, string, string, number, number, number]> = [];
  constructor(db: DatabaseSync, options: { now?: Now } = {}) {
    this.#db = db;
    this.#now = options.now ?? Date.now;
    this.#insert = db.prepare('INSERT INTO chat_sessions (id, subject, provider, model, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)');
    this.#insertDone = db.prepare('INSERT INTO chat_sessions (id, subject, provider, model, message_count, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
    this.#touch = db.prepare('UPDATE chat_sessions SET message_count = message_count + ?, summary = COALESCE(?, summary), provider = COALESCE(?, provider), updated_at = ? WHERE id = ?');
  }

  create(entry: { subject: string; provider: string; model: string }): string {
    const id = randomUUID();
    const t = this.#now();
    this.#insert.run(id, entry.subject, entry.provider, entry.model.slice(0, 128), t, t);
    return id;
  }

  /**
   * One write for a finished chat: the session row with its message count (id from newId()).
   * Rows recorded in the same event-loop turn are committed together in one transaction on
   * the next turn (before any I/O callback, so before the chat's audit fsync completes and the
   * response goes out); `flush()` commits them at once.
   */
  record(id: string, entry: { subject: string; provider: string; model: string; messages: number }): void {
    const t = this.#now();
    this.#pending.push([id, entry.subject, entry.provider, entry.model.slice(0, 128), Math.max(0, Math.floor(entry.messages)), t, t]);
    if (this.#pending.length === 1) setImmediate(() => this.flush());
  }

  flush(): void {
    if (this.#pending.length === 0) return;
    const rows = this.#pending.splice(0);
    this.#db.exec('BEGIN');
    try {
      for (const r of rows) this.#insertDone.run(...r);
      this.#db.exec('COMMIT');
    } catch (error) {
      this.#db.exec('ROLLBACK');
      throw error;
    }
  }

  newId(): string {
    return randomUUID();
  }

  /** Counts messages and keeps a short summary (pass redacted text only). */
  touch(id: string, update: { addMessages: number; summary?: string; provider?: string }): boolean {
    const out = this.#touch
      .run(Math.max(0, Math.floor(update.addMessages)), update.summary === undefined ? null : update.summary.slice(0, MAX_SUMMARY), update.provider ?? null, this.#now(), id);
    return Number(out.changes) > 0;
  }

  get(id: string): ChatSession | undefined {
    this.flush();
    const row = this.#db.prepare('SELECT * FROM chat_sessions WHERE id = ?').get(id);
    return row ? this.#row(row) : undefined;
  }

  exportSubject(subject: string): ChatSession[] {
    this.flush();
    return this.#db.prepare('SELECT * FROM chat_sessions WHERE subject = ? ORDER BY created_at, id').all(subject).map((r) => this.#row(r));
  }

  eraseSubject(subject: string): number {
    this.flush();
    return Number(this.#db.prepare('DELETE FROM chat_sessions WHERE subject = ?').run(subject).changes);
  }

  #row(r: Record<string, unknown>): ChatSession {
    return {
      id: String(r['id']),
      subject: String(r['subject']),
      provider: String(r['provider']),
      model: String(r['model']),
      createdAt: Number(r['created_at']),
      updatedAt: Number(r['updated_at']),
      messageCount: Number(r['message_count']),
      summary: String(r['summary']),
    };
  }
}
