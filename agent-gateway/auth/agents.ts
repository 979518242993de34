/**
 * Agent identities: an agent id, the tools it may call (names or globs) and a scoped bearer
 * token with an expiry. Only the token's hash is stored; deleting the agent revokes it.
 *
 * Delegation (issue 14.5, auth/delegation.ts): an agent may name a parent (`parent_id`). A
 * token is valid only while its agent and every ancestor exist and are unexpired (checked at
 * every lookup), and deleting an agent deletes all its descendants, so revoking or expiring a
 * parent makes each descendant's next request fail with 401.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { hashToken, newToken, sameHash } from './tokens.ts';

/**
 * Like usernames: lowercase ASCII, digits, `_` `.` `-`. No `:` (an id `x:y` made the actor
 * string `agent:x:y` ambiguous) and no capitals (no look-alike ids differing only in case).
 */
export const AGENT_ID_PATTERN = '^[a-z0-9][a-z0-9_.-]{0,63}$';
/** a tool name or glob in an agent's scope (also the CLI's --tools check) */
export const TOOL_GLOB_PATTERN = '^[A-Za-z0-9_.*?:-]{1,256}$';

export interface AgentPrincipal {
  readonly agentId: string;
  readonly tools: readonly string[];
  readonly expiresAt: number;
  /** delegation ancestors, root first ([] or absent: issued by an admin) */
  readonly chain?: readonly string[];
}

/** The longest ancestor walk a lookup follows; a longer (or cyclic) chain fails closed. */
export const CHAIN_WALK_MAX = 16;

/** an agent's own token bucket (POST /admin/agents `rate_limit`); absent: the configured default */
export interface AgentRateLimit {
  readonly burst: number;
  readonly perSecond: number;
}

export interface AgentInfo {
  readonly agent_id: string;
  readonly tools: string[];
  readonly rate_limit: { readonly burst: number; readonly per_second: number } | null;
  readonly created_by: string;
  readonly created_at: string;
  readonly expires_at: string;
}

function parseTools(text: unknown): string[] {
  try {
    const v: unknown = JSON.parse(String(text));
    return Array.isArray(v) ? v.filter((t): t is string => typeof t === 'string') : [];
  } catch {
    return [];
  }
}

export class AgentStore {
  readonly #db: DatabaseSync;
  #rateStmt: StatementSync | undefined;
  /** the per-request token lookup, prepared once (issue 12) */
  readonly #byHash: StatementSync;
  /** one ancestor step of the chain walk at token lookup */
  readonly #parentOf: StatementSync;
  readonly #byId: StatementSync;
  constructor(db: DatabaseSync) {
    this.#db = db;
    this.#byHash = db.prepare('SELECT agent_id, tools, token_hash, expires_at, parent_id FROM agents WHERE token_hash = ?');
    this.#parentOf = db.prepare('SELECT parent_id, expires_at FROM agents WHERE agent_id = ?');
    this.#byId = db.prepare('SELECT agent_id, tools, expires_at, parent_id FROM agents WHERE agent_id = ?');
  }

  /** admin-path statements, prepared once on first use (issue 12: no per-request prepare) */
  readonly #stmts = new Map<string, StatementSync>();
  #stmt(sql: string): StatementSync {
    let st = this.#stmts.get(sql);
    if (st === undefined) {
      st = this.#db.prepare(sql);
      this.#stmts.set(sql, st);
    }
    return st;
  }

  /**
   * The agent's own tool globs while its row exists and has not expired at `now`, else
   * undefined (one indexed row read; replaces a scan of every agent per approved call).
   */
  scopeOf(agentId: string, now: number): readonly string[] | undefined {
    const row = this.#byId.get(agentId);
    if (row === undefined || Number(row['expires_at']) <= now) return undefined;
    return parseTools(row['tools']);
  }

  /** undefined when the id is taken; `parentId`: a delegated agent (checked by the caller, auth/delegation.ts) */
  create(agentId: string, tools: readonly string[], ttlSeconds: number, createdBy: string, now: number, rateLimit?: AgentRateLimit,
    parentId?: string): { token: string; expiresAt: number } | undefined {
    const token = newToken('agent');
    const expiresAt = now + ttlSeconds * 1000;
    const res = this
      .#stmt('INSERT OR IGNORE INTO agents (agent_id, tools, token_hash, created_by, created_at, expires_at, rate_burst, rate_per_second, parent_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(agentId, JSON.stringify(tools), hashToken(token), createdBy, now, expiresAt, rateLimit?.burst ?? null, rateLimit?.perSecond ?? null, parentId ?? null);
    return Number(res.changes) === 1 ? { token, expiresAt } : undefined;
  }

  /**
   * The ancestors of an agent whose parent is `parentId`, root first, or undefined when any
   * ancestor is missing or expired at `now` (`now` undefined: expiry not checked), or the
   * chain is longer than CHAIN_WALK_MAX.
   */
  #ancestors(parentId: unknown, now: number | undefined): string[] | undefined {
    const up: string[] = [];
    let next = parentId;
    while (next !== null && next !== undefined) {
      const id = String(next);
      if (up.length >= CHAIN_WALK_MAX || up.includes(id)) return undefined;
      const row = this.#parentOf.get(id);
      if (row === undefined) return undefined;
      if (now !== undefined && Number(row['expires_at']) <= now) return undefined;
      up.push(id);
      next = row['parent_id'];
    }
    return up.reverse();
  }

  authenticate(token: string, now: number): AgentPrincipal | undefined {
    const h = hashToken(token);
    const row = this.#byHash.get(h);
    if (row === undefined || !sameHash(String(row['token_hash']), h)) return undefined;
    if (Number(row['expires_at']) <= now) return undefined;
    const chain = this.#ancestors(row['parent_id'], now);
    if (chain === undefined) return undefined; // a revoked or expired ancestor revokes this token
    return { agentId: String(row['agent_id']), tools: parseTools(row['tools']), expiresAt: Number(row['expires_at']), chain };
  }

  /** The agent as a token lookup would see it now (re-read inside an audited change), or undefined. */
  current(agentId: string, now: number): AgentPrincipal | undefined {
    const row = this.#byId.get(agentId);
    if (row === undefined || Number(row['expires_at']) <= now) return undefined;
    const chain = this.#ancestors(row['parent_id'], now);
    if (chain === undefined) return undefined;
    return { agentId: String(row['agent_id']), tools: parseTools(row['tools']), expiresAt: Number(row['expires_at']), chain };
  }

  /** An agent's delegation ancestors, root first ([] for an admin-issued or unknown agent). */
  chainOf(agentId: string): string[] {
    const row = this.#parentOf.get(agentId);
    if (row === undefined) return [];
    return this.#ancestors(row['parent_id'], undefined) ?? [];
  }

  list(): AgentInfo[] {
    return this.#stmt('SELECT * FROM agents ORDER BY agent_id').all().map((r) => ({
      agent_id: String(r['agent_id']),
      tools: parseTools(r['tools']),
      created_by: String(r['created_by']),
      created_at: new Date(Number(r['created_at'])).toISOString(),
      expires_at: new Date(Number(r['expires_at'])).toISOString(),
      rate_limit: r['rate_burst'] === null || r['rate_burst'] === undefined ? null : { burst: Number(r['rate_burst']), per_second: Number(r['rate_per_second']) },
    }));
  }

  /** The agent's own token bucket, or undefined for the default (read on each rate-limit check). */
  rateLimitOf(agentId: string): AgentRateLimit | undefined {
    this.#rateStmt ??= this.#db.prepare('SELECT rate_burst, rate_per_second FROM agents WHERE agent_id = ?');
    const row = this.#rateStmt.get(agentId);
    if (row === undefined || row['rate_burst'] === null) return undefined;
    return { burst: Number(row['rate_burst']), perSecond: Number(row['rate_per_second']) };
  }

  /** Deletes the agent and every agent delegated from it, at any depth. */
  delete(agentId: string): boolean {
    if (this.#parentOf.get(agentId) === undefined) return false;
    const res = this.#stmt(`WITH RECURSIVE d(id) AS (SELECT ? UNION SELECT a.agent_id FROM agents a JOIN d ON a.parent_id = d.id)
      DELETE FROM agents WHERE agent_id IN (SELECT id FROM d)`).run(agentId);
    return Number(res.changes) >= 1;
  }

  /** The agent id a token belongs to (read-only). */
  idByToken(token: string): string | undefined {
    const row = this.#stmt('SELECT agent_id FROM agents WHERE token_hash = ?').get(hashToken(token));
    return row === undefined ? undefined : String(row['agent_id']);
  }

  /** Revokes by the agent token itself (POST /admin/revoke). */
  deleteByToken(token: string): string | undefined {
    const row = this.#stmt('SELECT agent_id FROM agents WHERE token_hash = ?').get(hashToken(token));
    if (row === undefined) return undefined;
    this.delete(String(row['agent_id']));
    return String(row['agent_id']);
  }
}
