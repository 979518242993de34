/**
 * First-admin bootstrap without a default password: when no user exists and no
 * PALISADE_ADMIN_PASSWORD is set, a one-time setup token is generated (its hash stored),
 * printed once, and consumed by POST /admin/setup.
 */
import type { DatabaseSync } from 'node:sqlite';
import { hashToken, newToken, sameHash } from './tokens.ts';

export class SetupTokenStore {
  readonly #db: DatabaseSync;
  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  /** Replaces any previous setup token; returns the clear token to print once. */
  issue(now: number): string {
    const token = newToken('setup');
    this.#db.prepare('INSERT OR REPLACE INTO setup_token (id, token_hash, created_at) VALUES (1, ?, ?)').run(hashToken(token), now);
    return token;
  }

  pending(): boolean {
    return this.#db.prepare('SELECT 1 FROM setup_token WHERE id = 1').get() !== undefined;
  }

  /** true for the pending token (read-only: nothing is consumed) */
  matches(token: string): boolean {
    const row = this.#db.prepare('SELECT token_hash FROM setup_token WHERE id = 1').get();
    return row !== undefined && sameHash(String(row['token_hash']), hashToken(token));
  }

  /** true once, for the right token; the token is deleted on success. */
  consume(token: string): boolean {
    const row = this.#db.prepare('SELECT token_hash FROM setup_token WHERE id = 1').get();
    if (row === undefined || !sameHash(String(row['token_hash']), hashToken(token))) return false;
    return Number(this.#db.prepare('DELETE FROM setup_token WHERE id = 1').run().changes) === 1;
  }

  clear(): void {
    this.#db.prepare('DELETE FROM setup_token').run();
  }
}
