/**
 * Session governance state in sqlite (security state: it survives a restart): one row per call
 * handed to the sandbox, keyed by the PRINCIPAL (the root of the agent's delegation chain, so
 * a delegated child shares its parent's taint and risk). Taint and risk are computed from
 * these rows by the pure policy/session.ts. Rows older than the longest window allowed
 * (7 days) are pruned as new ones are written.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { SessionCall } from '../policy/session.ts';
import type { RiskLevel } from '../policy/types.ts';
import { POLICY_LIMITS } from '../policy/validate.ts';


const LEVELS = new Set<string>(['low', 'medium', 'high', 'critical']);
const KEEP_MS = POLICY_LIMITS.windowSeconds * 1000;
/** a principal's history read for one decision is bounded (oldest beyond it are not counted) */
export const HISTORY_MAX_ROWS = 10_000;

export interface RecordedCall extends SessionCall {
  readonly principal: string;
  readonly agent_id: string;
}

function parseTags(text: unknown): string[] {
  try {
    const v: unknown = JSON.parse(String(text));
    return Array.isArray(v) ? v.filter((t): t is string => typeof t === 'string') : [];
  } catch {
    return [];
  }
}

export class GovernanceState {
  readonly #insert: StatementSync;
  readonly #prune: StatementSync;
  readonly #since: StatementSync;
  #writes = 0;

  constructor(db: DatabaseSync) {
    this.#insert = db.prepare('INSERT INTO governance_calls (principal, call_id, agent_id, tool, tags, risk, ts) VALUES (?, ?, ?, ?, ?, ?, ?)');
    this.#prune = db.prepare('DELETE FROM governance_calls WHERE ts < ?');
    this.#since = db.prepare('SELECT call_id, tool, tags, risk, ts FROM governance_calls WHERE principal = ? AND ts > ? ORDER BY ts DESC LIMIT ?');
  }

  /** Records a call as run (before the sandbox gets it: a call that started may have read). */
  record(c: RecordedCall): void {
    this.#insert.run(c.principal, c.call_id, c.agent_id, c.tool, JSON.stringify(c.tags), c.risk, c.ts);
    if (++this.#writes % 256 === 1) this.#prune.run(c.ts - KEEP_MS);
  }

  history(principal: string, sinceMs: number): SessionCall[] {
    return this.#since.all(principal, sinceMs, HISTORY_MAX_ROWS).map((r) => ({
      call_id: String(r['call_id']), tool: String(r['tool']), tags: parseTags(r['tags']),
      risk: (LEVELS.has(String(r['risk'])) ? String(r['risk']) : 'critical') as RiskLevel, ts: Number(r['ts']),
    }));
  }
}
