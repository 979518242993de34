/**
 * Versioned policy document in sqlite. Every `put` appends a new version (who, when); `get`
 * returns the newest. Stored documents are re-validated on read: a row that no longer
 * validates is an error, never silently treated as "no rules".
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { EMPTY_POLICY, type PolicyDoc } from './types.ts';
import { policyToJson, validatePolicy } from './validate.ts';

export interface PolicyVersion {
  readonly version: number;
  readonly doc: PolicyDoc;
  /** `system` and 0 for the built-in empty document before any PUT */
  readonly actor: string;
  readonly updated_at: number;
}

export interface PolicyHistoryEntry { readonly version: number; readonly actor: string; readonly created_at: number }

export class PolicyStore {
  readonly #db: DatabaseSync;
  readonly #now: () => number;
  #cache: PolicyVersion | undefined;
  /** statements prepared once, on first use (issue 12: no per-request prepare) */
  readonly #stmts = new Map<string, StatementSync>();

  constructor(db: DatabaseSync, options: { now?: () => number } = {}) {
    this.#db = db;
    this.#now = options.now ?? Date.now;
  }

  #stmt(sql: string): StatementSync {
    let st = this.#stmts.get(sql);
    if (st === undefined) {
      st = this.#db.prepare(sql);
      this.#stmts.set(sql, st);
    }
    return st;
  }

  get(): PolicyVersion {
    if (this.#cache !== undefined) return this.#cache;
    const row = this.#stmt('SELECT version, doc, actor, created_at FROM policy_versions ORDER BY version DESC LIMIT 1').get();
    if (row === undefined) return { version: 0, doc: EMPTY_POLICY, actor: 'system', updated_at: 0 };
    const parsed = validatePolicy(JSON.parse(String(row['doc'])));
    if (!parsed.ok) throw new Error(`stored policy version ${String(row['version'])} is invalid`);
    this.#cache = { version: Number(row['version']), doc: parsed.doc, actor: String(row['actor']), updated_at: Number(row['created_at']) };
    return this.#cache;
  }

  /** The version number the next `put` will get (for the audit line written before it). */
  nextVersion(): number {
    const row = this.#stmt('SELECT COALESCE(MAX(version), 0) AS v FROM policy_versions').get();
    return Number(row?.['v'] ?? 0) + 1;
  }

  /**
   * Stores a document that passed `validatePolicy`; returns its new version number. With
   * `version`, exactly that number is used (a conflict throws: someone else took it).
   */
  put(doc: PolicyDoc, actor: string, version?: number): number {
    const text = JSON.stringify(policyToJson(doc));
    const reparsed = validatePolicy(JSON.parse(text));
    if (!reparsed.ok) throw new Error('refusing to store an invalid policy document');
    const now = this.#now();
    const r = version === undefined
      ? this.#stmt('INSERT INTO policy_versions (doc, actor, created_at) VALUES (?, ?, ?)').run(text, actor, now)
      : this.#stmt('INSERT INTO policy_versions (version, doc, actor, created_at) VALUES (?, ?, ?, ?)').run(version, text, actor, now);
    const stored = Number(r.lastInsertRowid);
    this.#cache = { version: stored, doc: reparsed.doc, actor, updated_at: now };
    return stored;
  }

  history(limit = 100): PolicyHistoryEntry[] {
    const n = Math.max(1, Math.min(1000, Math.trunc(limit)));
    return this.#stmt('SELECT version, actor, created_at FROM policy_versions ORDER BY version DESC LIMIT ?').all(n)
      .map((r) => ({ version: Number(r['version']), actor: String(r['actor']), created_at: Number(r['created_at']) }));
  }
}
