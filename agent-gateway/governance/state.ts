/**
 * Session governance state in sqlite (security state: it survives a restart), keyed by the
 * PRINCIPAL (the root of the agent's delegation chain, so a delegated child shares its
 * parent's taint and risk). Written in one transaction per call handed to the sandbox:
 *   governance_calls      one row per call (tool, tags, risk level, time) with `seq`, its
 *                         rank among the principal's calls of that level (1, 2, 3 ...);
 *   governance_tag_latest the newest call per (principal, tag).
 * summary() is exact whatever the volume, and costs a few index lookups: the marks for taint;
 * for risk, per level, the last seq minus the first seq after the window's start, plus one.
 * No read is capped, so a principal cannot wash a tainting or high-risk call out by running
 * many harmless ones after it. The decision itself is the pure policy/session.ts.
 *
 * The newest (ts, seq) per (principal, level) is also kept in memory (this process is the only
 * writer; bounded, a miss reads sqlite), so a level the principal never ran costs no query.
 *
 * Times are kept non-decreasing per (principal, level): a call recorded while the clock is set
 * back is stored at the newest time already there, which keeps it in its windows longer (fail
 * closed) and keeps seq in time order. Rows older than the longest window allowed (7 days) are
 * pruned as new ones are written (the oldest first, so the seqs left stay contiguous).
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { SessionCall, SessionSummary, SummaryWindows, TagMark } from '../policy/session.ts';
import type { RiskLevel } from '../policy/types.ts';
import { POLICY_LIMITS } from '../policy/validate.ts';

const LEVELS: readonly RiskLevel[] = ['low', 'medium', 'high', 'critical'];
const KEEP_MS = POLICY_LIMITS.windowSeconds * 1000;
/** (principal, level) pairs whose newest row is remembered; beyond it the oldest is forgotten */
const LAST_CACHE_MAX = 50_000;

interface Last { readonly ts: number; readonly seq: number }

export interface RecordedCall extends SessionCall {
  readonly principal: string;
  readonly agent_id: string;
}

export class GovernanceState {
  readonly #db: DatabaseSync;
  readonly #insert: StatementSync;
  readonly #last: StatementSync;
  readonly #firstAfter: StatementSync;
  readonly #mark: StatementSync;
  readonly #marks: StatementSync;
  readonly #prune: StatementSync;
  readonly #pruneMarks: StatementSync;
  /** `${level} ${principal}` → its newest row (null: none) */
  readonly #lastCache = new Map<string, Last | null>();
  #writes = 0;

  constructor(db: DatabaseSync) {
    this.#db = db;
    this.#insert = db.prepare('INSERT INTO governance_calls (principal, call_id, agent_id, tool, tags, risk, ts, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    const level = 'FROM governance_calls WHERE principal = ? AND risk = ?';
    this.#last = db.prepare(`SELECT ts, seq ${level} ORDER BY ts DESC, seq DESC LIMIT 1`);
    this.#firstAfter = db.prepare(`SELECT seq ${level} AND ts > ? ORDER BY ts ASC, seq ASC LIMIT 1`);
    this.#mark = db.prepare(`INSERT INTO governance_tag_latest (principal, tag, call_id, tool, ts) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (principal, tag) DO UPDATE SET call_id = excluded.call_id, tool = excluded.tool, ts = excluded.ts
      WHERE excluded.ts >= governance_tag_latest.ts`);
    this.#marks = db.prepare('SELECT tag, call_id, tool, ts FROM governance_tag_latest WHERE principal = ? AND ts > ?');
    this.#prune = db.prepare('DELETE FROM governance_calls WHERE ts < ?');
    this.#pruneMarks = db.prepare('DELETE FROM governance_tag_latest WHERE ts < ?');
  }

  /** Records a call as run (before the sandbox gets it: a call that started may have read). */
  record(c: RecordedCall): void {
    const own = !this.#db.isTransaction;
    if (own) this.#db.exec('BEGIN IMMEDIATE');
    try {
      const last = this.#newest(c.principal, c.risk);
      const ts = last === null ? c.ts : Math.max(c.ts, last.ts);
      const seq = last === null ? 1 : last.seq + 1;
      this.#insert.run(c.principal, c.call_id, c.agent_id, c.tool, JSON.stringify(c.tags), c.risk, ts, seq);
      for (const tag of new Set(c.tags)) this.#mark.run(c.principal, tag, c.call_id, c.tool, ts);
      if (++this.#writes % 256 === 1) {
        this.#prune.run(ts - KEEP_MS);
        this.#pruneMarks.run(ts - KEEP_MS);
      }
      if (own) this.#db.exec('COMMIT');
      this.#remember(`${c.risk} ${c.principal}`, { ts, seq });
    } catch (err) {
      if (own && this.#db.isTransaction) this.#db.exec('ROLLBACK');
      throw err;
    }
  }

  /** The principal's newest row of a level (null: none), from memory or sqlite. */
  #newest(principal: string, level: RiskLevel): Last | null {
    const key = `${level} ${principal}`;
    const known = this.#lastCache.get(key);
    if (known !== undefined) return known;
    const r = this.#last.get(principal, level);
    const last = r === undefined ? null : { ts: Number(r['ts']), seq: Number(r['seq']) };
    this.#remember(key, last);
    return last;
  }

  #remember(key: string, last: Last | null): void {
    this.#lastCache.delete(key);
    this.#lastCache.set(key, last);
    if (this.#lastCache.size > LAST_CACHE_MAX) this.#lastCache.delete(this.#lastCache.keys().next().value as string);
  }

  /** What the principal ran, over the windows one decision needs (policy/session.ts summaryWindows). */
  summary(principal: string, w: SummaryWindows): SessionSummary {
    const newestByTag = new Map<string, TagMark>();
    if (w.tagsSinceMs !== undefined) {
      for (const r of this.#marks.all(principal, w.tagsSinceMs)) {
        newestByTag.set(String(r['tag']), { call_id: String(r['call_id']), tool: String(r['tool']), ts: Number(r['ts']) });
      }
    }
    const riskCounts: Record<RiskLevel, number> = { low: 0, medium: 0, high: 0, critical: 0 };
    if (w.riskSinceMs !== undefined) {
      for (const level of w.riskLevels ?? LEVELS) {
        const last = this.#newest(principal, level);
        if (last === null || last.ts <= w.riskSinceMs) continue;
        const first = this.#firstAfter.get(principal, level, w.riskSinceMs);
        if (first !== undefined) riskCounts[level] = last.seq - Number(first['seq']) + 1;
      }
    }
    return { newestByTag, riskCounts };
  }
}
