/** Admin/user accounts in sqlite. Passwords only as PBKDF2 hashes with their parameters. */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { StoredPassword } from './password.ts';

export type Role = 'admin' | 'user';

export interface UserRecord {
  readonly username: string;
  readonly role: Role;
  readonly password: StoredPassword;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** ASCII only: no unicode look-alikes, no NUL or control characters. */
export const USERNAME_PATTERN = '^[a-z0-9][a-z0-9_.-]{0,63}$';

function toUser(row: Record<string, unknown> | undefined): UserRecord | undefined {
  if (row === undefined) return undefined;
  return {
    username: String(row['username']),
    role: row['role'] === 'admin' ? 'admin' : 'user',
    password: {
      algo: 'pbkdf2-sha256',
      iterations: Number(row['pw_iterations']),
      salt: String(row['pw_salt']),
      hash: String(row['pw_hash']),
    },
    createdAt: Number(row['created_at']),
    updatedAt: Number(row['updated_at']),
  };
}

export class UserStore {
  readonly #db: DatabaseSync;
  /** prepared once: a stream guard asks before every frame it writes (issue 23) */
  readonly #byName: StatementSync;
  readonly #exists: StatementSync;
  constructor(db: DatabaseSync) {
    this.#db = db;
    this.#byName = db.prepare('SELECT * FROM users WHERE username = ?');
    this.#exists = db.prepare('SELECT 1 AS one FROM users WHERE username = ?');
  }

  get(username: string): UserRecord | undefined {
    return toUser(this.#byName.get(username));
  }

  /** whether the account exists now (no password fields read) */
  exists(username: string): boolean {
    return this.#exists.get(username) !== undefined;
  }

  list(): Array<{ username: string; role: Role; created_at: string; updated_at: string }> {
    return this.#db.prepare('SELECT username, role, created_at, updated_at FROM users ORDER BY username').all().map((r) => ({
      username: String(r['username']),
      role: r['role'] === 'admin' ? 'admin' : 'user',
      created_at: new Date(Number(r['created_at'])).toISOString(),
      updated_at: new Date(Number(r['updated_at'])).toISOString(),
    }));
  }

  count(role?: Role): number {
    const row = role === undefined
      ? this.#db.prepare('SELECT COUNT(*) AS n FROM users').get()
      : this.#db.prepare('SELECT COUNT(*) AS n FROM users WHERE role = ?').get(role);
    return Number(row?.['n'] ?? 0);
  }

  /** false when the username is taken */
  create(username: string, role: Role, pw: StoredPassword, now: number): boolean {
    const res = this.#db
      .prepare(`INSERT OR IGNORE INTO users (username, role, pw_algo, pw_iterations, pw_salt, pw_hash, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(username, role, pw.algo, pw.iterations, pw.salt, pw.hash, now, now);
    return Number(res.changes) === 1;
  }

  setPassword(username: string, pw: StoredPassword, now: number): boolean {
    const res = this.#db
      .prepare('UPDATE users SET pw_algo = ?, pw_iterations = ?, pw_salt = ?, pw_hash = ?, updated_at = ? WHERE username = ?')
      .run(pw.algo, pw.iterations, pw.salt, pw.hash, now, username);
    return Number(res.changes) === 1;
  }

  /** also forgets the user's login device tokens */
  delete(username: string): boolean {
    const gone = Number(this.#db.prepare('DELETE FROM users WHERE username = ?').run(username).changes) === 1;
    if (gone) this.#db.prepare('DELETE FROM login_devices WHERE username = ?').run(username);
    return gone;
  }
}
