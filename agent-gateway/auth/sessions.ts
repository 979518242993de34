/**
 * Admin/user sessions: an opaque access token (1 h) and refresh token (7 d) per session,
 * stored only as hashes. Every refresh rotates: the used session is marked rotated and a new
 * one is issued in the same family. Presenting a refresh token that was already rotated is
 * reuse: the whole family is revoked. Revocation is a row update, so it survives restarts.
 */
import { randomUUID } from 'node:crypto';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { transaction } from '../store/db.ts';
import { hashToken, newToken, sameHash } from './tokens.ts';
import type { Role } from './users.ts';

export interface IssuedTokens {
  readonly token: string;
  readonly refresh_token: string;
  readonly token_type: 'Bearer';
  readonly expires_in: number;
}

export interface SessionPrincipal {
  readonly sessionId: string;
  readonly familyId: string;
  readonly username: string;
  readonly role: Role;
}

export interface SessionTtls {
  readonly accessTtlSeconds: number;
  readonly refreshTtlSeconds: number;
}

export type RefreshOutcome =
  | { ok: true; tokens: IssuedTokens; principal: SessionPrincipal }
  | { ok: false; reason: 'unknown' | 'expired' | 'revoked' | 'reused'; username?: string };

export class SessionStore {
  readonly #db: DatabaseSync;
  readonly #ttl: SessionTtls;
  /** the per-request access-token lookup, prepared once (issue 12) */
  readonly #byAccess: StatementSync;
  constructor(db: DatabaseSync, ttl: SessionTtls) {
    this.#db = db;
    this.#ttl = ttl;
    this.#byAccess = db.prepare('SELECT * FROM sessions WHERE access_hash = ?');
  }

  issue(username: string, role: Role, now: number, familyId: string = randomUUID()): IssuedTokens {
    const token = newToken('access');
    const refresh = newToken('refresh');
    this.#db
      .prepare(`INSERT INTO sessions (id, family_id, username, role, access_hash, access_expires_at, refresh_hash, refresh_expires_at, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(randomUUID(), familyId, username, role, hashToken(token), now + this.#ttl.accessTtlSeconds * 1000,
        hashToken(refresh), now + this.#ttl.refreshTtlSeconds * 1000, now);
    return { token, refresh_token: refresh, token_type: 'Bearer', expires_in: this.#ttl.accessTtlSeconds };
  }

  /** Resolves an access token to its session, or undefined when unknown/expired/revoked/rotated. */
  authenticate(token: string, now: number): SessionPrincipal | undefined {
    const h = hashToken(token);
    const row = this.#byAccess.get(h);
    if (row === undefined || !sameHash(String(row['access_hash']), h)) return undefined;
    if (row['revoked_at'] !== null || row['rotated_at'] !== null) return undefined;
    if (Number(row['access_expires_at']) <= now) return undefined;
    return principal(row);
  }

  /** What refresh(token) would do, without changing anything (audit-or-refuse plans with it). */
  peekRefresh(refreshToken: string, now: number): { ok: true; principal: SessionPrincipal } | { ok: false; reason: 'unknown' | 'expired' | 'revoked' | 'reused'; username?: string; familyId?: string } {
    const h = hashToken(refreshToken);
    const row = this.#db.prepare('SELECT * FROM sessions WHERE refresh_hash = ?').get(h);
    if (row === undefined || !sameHash(String(row['refresh_hash']), h)) return { ok: false, reason: 'unknown' };
    const username = String(row['username']);
    const familyId = String(row['family_id']);
    if (row['rotated_at'] !== null) return { ok: false, reason: 'reused', username, familyId };
    if (row['revoked_at'] !== null) return { ok: false, reason: 'revoked', username, familyId };
    if (Number(row['refresh_expires_at']) <= now) return { ok: false, reason: 'expired', username, familyId };
    return { ok: true, principal: principal(row) };
  }

  /** The session family an access or refresh token belongs to (read-only). */
  lookupToken(token: string): { familyId: string; username: string } | undefined {
    const h = hashToken(token);
    const row = this.#db.prepare('SELECT family_id, username FROM sessions WHERE access_hash = ? OR refresh_hash = ?').get(h, h);
    return row === undefined ? undefined : { familyId: String(row['family_id']), username: String(row['username']) };
  }

  refresh(refreshToken: string, now: number): RefreshOutcome {
    return transaction(this.#db, () => {
      const h = hashToken(refreshToken);
      const row = this.#db.prepare('SELECT * FROM sessions WHERE refresh_hash = ?').get(h);
      if (row === undefined || !sameHash(String(row['refresh_hash']), h)) return { ok: false, reason: 'unknown' } as const;
      const username = String(row['username']);
      if (row['rotated_at'] !== null) {
        this.revokeFamily(String(row['family_id']), now, 'refresh_token_reuse');
        return { ok: false, reason: 'reused', username } as const;
      }
      if (row['revoked_at'] !== null) return { ok: false, reason: 'revoked', username } as const;
      if (Number(row['refresh_expires_at']) <= now) return { ok: false, reason: 'expired', username } as const;
      this.#db.prepare('UPDATE sessions SET rotated_at = ? WHERE id = ?').run(now, String(row['id']));
      const p = principal(row);
      const tokens = this.issue(p.username, p.role, now, p.familyId);
      return { ok: true, tokens, principal: p } as const;
    });
  }

  revokeFamily(familyId: string, now: number, reason: string): number {
    return Number(this.#db
      .prepare('UPDATE sessions SET revoked_at = ?, revoke_reason = ? WHERE family_id = ? AND revoked_at IS NULL')
      .run(now, reason, familyId).changes);
  }

  revokeUser(username: string, now: number, reason: string): number {
    return Number(this.#db
      .prepare('UPDATE sessions SET revoked_at = ?, revoke_reason = ? WHERE username = ? AND revoked_at IS NULL')
      .run(now, reason, username).changes);
  }

  /** Revokes the session family an access or refresh token belongs to; false when unknown. */
  revokeByToken(token: string, now: number, reason: string): { revoked: boolean; username?: string } {
    const h = hashToken(token);
    const row = this.#db.prepare('SELECT family_id, username FROM sessions WHERE access_hash = ? OR refresh_hash = ?').get(h, h);
    if (row === undefined) return { revoked: false };
    this.revokeFamily(String(row['family_id']), now, reason);
    return { revoked: true, username: String(row['username']) };
  }

  /** Removes rows whose refresh token expired more than a day ago (kept a while for reuse detection). */
  prune(now: number): number {
    return Number(this.#db.prepare('DELETE FROM sessions WHERE refresh_expires_at < ?').run(now - 86_400_000).changes);
  }
}

function principal(row: Record<string, unknown>): SessionPrincipal {
  return {
    sessionId: String(row['id']),
    familyId: String(row['family_id']),
    username: String(row['username']),
    role: row['role'] === 'admin' ? 'admin' : 'user',
  };
}
