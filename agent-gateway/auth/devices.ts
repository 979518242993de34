/**
 * Login device tokens ("device cookies", OWASP's defence against lock-out by online guessing):
 * a successful login gets a random device token for that username (only its hash is stored,
 * 30 days). A later login that presents it is throttled only by its own failure bucket, not by
 * the per-username and per-client buckets that anyone else's failures fill, so a local process
 * guessing the admin password cannot keep the owner out. The token alone grants nothing: the
 * password is still checked (one PBKDF2 hash).
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { hashToken, newToken, sameHash, tokenKind } from './tokens.ts';

export const DEVICE_TTL_MS = 30 * 86_400_000;
/** newest device tokens kept per user; older ones are dropped */
export const DEVICES_PER_USER = 20;

export class DeviceStore {
  readonly #db: DatabaseSync;
  /** statements prepared once, on first use (issue 12: no per-request prepare) */
  readonly #stmts = new Map<string, StatementSync>();
  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  #stmt(sql: string): StatementSync {
    let st = this.#stmts.get(sql);
    if (st === undefined) {
      st = this.#db.prepare(sql);
      this.#stmts.set(sql, st);
    }
    return st;
  }

  /** the token's hash when it is a live device token of this username; else undefined */
  check(token: string | undefined, username: string, now: number): string | undefined {
    if (token === undefined || tokenKind(token) !== 'device') return undefined;
    const h = hashToken(token);
    const row = this.#stmt('SELECT token_hash, username, expires_at FROM login_devices WHERE token_hash = ?').get(h);
    if (row === undefined || !sameHash(String(row['token_hash']), h)) return undefined;
    if (String(row['username']) !== username || Number(row['expires_at']) <= now) return undefined;
    this.#stmt('UPDATE login_devices SET last_used_at = ? WHERE token_hash = ?').run(now, h);
    return h;
  }

  issue(username: string, now: number): string {
    const token = newToken('device');
    this.#stmt('INSERT INTO login_devices (token_hash, username, created_at, last_used_at, expires_at) VALUES (?, ?, ?, ?, ?)')
      .run(hashToken(token), username, now, now, now + DEVICE_TTL_MS);
    this.#stmt(`DELETE FROM login_devices WHERE username = ? AND token_hash NOT IN
      (SELECT token_hash FROM login_devices WHERE username = ? ORDER BY created_at DESC, rowid DESC LIMIT ?)`).run(username, username, DEVICES_PER_USER);
    this.#stmt('DELETE FROM login_devices WHERE expires_at <= ?').run(now);
    return token;
  }

  deleteUser(username: string): number {
    return Number(this.#stmt('DELETE FROM login_devices WHERE username = ?').run(username).changes);
  }
}

/** `Cookie: …; palisade_device=<token>; …` → the token (shape-checked), else undefined */
export const DEVICE_COOKIE = 'palisade_device';
export function deviceTokenFromCookie(header: string | undefined): string | undefined {
  if (header === undefined || header.length > 8192) return undefined;
  for (const part of header.split(';')) {
    const [name, value] = part.trim().split('=', 2);
    if (name === DEVICE_COOKIE && value !== undefined && tokenKind(value) === 'device') return value;
  }
  return undefined;
}

export function deviceCookie(token: string): string {
  return `${DEVICE_COOKIE}=${token}; Path=/admin/login; Max-Age=${DEVICE_TTL_MS / 1000}; HttpOnly; SameSite=Strict`;
}
