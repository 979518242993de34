/**
 * Provider API keys, encrypted at rest with AES-256-GCM under the master key (fresh 12-byte
 * IV per key, the provider name as additional data so a row cannot be moved to another
 * provider). Keys are never returned by listing functions and never logged. Rotation keeps
 * the previous key valid for an overlap window; lookup order is stored → environment → refuse.
 */
import type { DatabaseSync } from 'node:sqlite';
import { KEY_ENV } from './config.ts';
import { open, seal } from './key-crypto.ts';
import { PROVIDER_NAMES, isProviderName, type ProviderName } from './types.ts';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const KEY_RE = /^[\x21-\x7e]{8,512}$/;

export type KeySource = 'stored' | 'previous' | 'env' | 'none';
export type ResolvedKey = { ok: true; key: string | undefined; source: KeySource } | { ok: false; code: 'PRV_ERR_KEY_MISSING' | 'PRV_ERR_KEY_EXPIRED' };
export type PutResult = { ok: true; provider: ProviderName; expiresAt: number } | { ok: false; code: 'PRV_ERR_KEY_INVALID' | 'PRV_ERR_UNKNOWN_PROVIDER'; problems: string[] };

export interface ProviderKeyInfo {
  readonly name: ProviderName;
  readonly needsKey: boolean;
  /** where resolveKey would take the key from right now, or why it would refuse */
  readonly status: KeySource | 'missing' | 'expired';
  readonly stored: boolean;
  readonly createdAt?: number;
  readonly expiresAt?: number;
  /** end of the rotation overlap while a previous key is still valid */
  readonly previousValidUntil?: number;
  readonly envPresent: boolean;
}

export interface ProviderKeyStore {
  putKey(name: string, key: unknown, ttlDays: unknown): PutResult;
  rotateKey(name: string, newKey: unknown, ttlDays: unknown, overlapHours: unknown): PutResult;
  resolveKey(name: ProviderName, env: Readonly<Record<string, string | undefined>>): ResolvedKey;
  /** every stored key valid now, newest first (the previous one only inside its rotation overlap) */
  candidateKeys(name: ProviderName): string[];
  listProviders(env: Readonly<Record<string, string | undefined>>): ProviderKeyInfo[];
  keysNearExpiry(days: number): Array<{ provider: ProviderName; expiresAt: number; daysLeft: number }>;
  deleteKey(name: ProviderName): number;
}

interface Row {
  id: number;
  iv: Uint8Array;
  tag: Uint8Array;
  ciphertext: Uint8Array;
  created_at: number;
  expires_at: number;
  retired_at: number | null;
}

export function createKeyStore(db: DatabaseSync, masterKey: Buffer, options: { now?: () => number } = {}): ProviderKeyStore {
  if (masterKey.length !== 32) throw new Error('master key must be 32 bytes');
  const now = options.now ?? Date.now;

  const encrypt = (provider: string, key: string) => seal(masterKey, provider, key);
  // The chat path resolves a key on every request (issue 23): the rows of a provider and their
  // decrypted keys are cached until this store changes them (every write goes through
  // inTransaction or deleteKey, which clear the cache; this store is the table's only writer).
  // Expiry and rotation overlap are still decided against now() on each call.
  const rowCache = new Map<string, Row[]>();
  const plainCache = new Map<number, string>();
  const invalidate = (): void => {
    rowCache.clear();
    plainCache.clear();
  };
  const decrypt = (provider: string, row: Row): string => {
    const hit = plainCache.get(row.id);
    if (hit !== undefined) return hit;
    const key = open(masterKey, provider, row);
    plainCache.set(row.id, key);
    return key;
  };
  const selectRows = db.prepare('SELECT id, iv, tag, ciphertext, created_at, expires_at, retired_at FROM provider_keys WHERE provider = ? ORDER BY id DESC');

  function rows(provider: string): Row[] {
    let hit = rowCache.get(provider);
    if (hit === undefined) {
      hit = selectRows.all(provider) as unknown as Row[];
      rowCache.set(provider, hit);
    }
    return hit;
  }

  function validate(name: string, key: unknown, ttlDays: unknown): { ok: true; provider: ProviderName; key: string; ttl: number } | Extract<PutResult, { ok: false }> {
    if (!isProviderName(name) || KEY_ENV[name] === undefined) return { ok: false, code: 'PRV_ERR_UNKNOWN_PROVIDER', problems: ['provider does not take a key'] };
    const problems: string[] = [];
    if (typeof key !== 'string' || !KEY_RE.test(key)) problems.push('key must be 8..512 printable characters without spaces');
    if (!Number.isInteger(ttlDays) || (ttlDays as number) < 1 || (ttlDays as number) > 3650) problems.push('ttl_days must be an integer 1..3650');
    if (problems.length > 0) return { ok: false, code: 'PRV_ERR_KEY_INVALID', problems };
    return { ok: true, provider: name, key: key as string, ttl: ttlDays as number };
  }

  function insert(provider: ProviderName, key: string, ttlDays: number): PutResult {
    const t = now();
    const { iv, tag, ciphertext } = encrypt(provider, key);
    const expiresAt = t + ttlDays * DAY;
    db.prepare('INSERT INTO provider_keys (provider, iv, tag, ciphertext, created_at, expires_at, retired_at) VALUES (?, ?, ?, ?, ?, ?, NULL)').run(provider, iv, tag, ciphertext, t, expiresAt);
    return { ok: true, provider, expiresAt };
  }

  function inTransaction<T>(fn: () => T): T {
    invalidate();
    db.exec('BEGIN IMMEDIATE');
    try {
      const out = fn();
      db.exec('COMMIT');
      return out;
    } catch (error) {
      db.exec('ROLLBACK');
      throw error;
    } finally {
      invalidate();
    }
  }

  function current(provider: ProviderName): { current?: Row; previous?: Row } {
    const t = now();
    const all = rows(provider);
    const cur = all.find((r) => r.retired_at === null);
    const prev = all.find((r) => r.retired_at !== null && r.retired_at > t && r.expires_at > t);
    return { ...(cur ? { current: cur } : {}), ...(prev ? { previous: prev } : {}) };
  }

function resolveKey(name: ProviderName, env: Readonly<Record<string, string | undefined>>): ResolvedKey {
    const keyEnv = KEY_ENV[name];
    if (keyEnv === undefined) return { ok: true, key: undefined, source: 'none' };
    const t = now();
    const { current: cur, previous } = current(name);
    if (cur && cur.expires_at > t) return { ok: true, key: decrypt(name, cur), source: 'stored' };
    if (previous) return { ok: true, key: decrypt(name, previous), source: 'previous' };
    if (cur) return { ok: false, code: 'PRV_ERR_KEY_EXPIRED' };
    const fromEnv = env[keyEnv];
    if (typeof fromEnv === 'string' && fromEnv.trim() !== '') return { ok: true, key: fromEnv.trim(), source: 'env' };
    return { ok: false, code: 'PRV_ERR_KEY_MISSING' };
  }

  return {
    putKey(name, key, ttlDays) {
      const v = validate(name, key, ttlDays);
      if (!v.ok) return v;
      return inTransaction(() => {
        db.prepare('DELETE FROM provider_keys WHERE provider = ?').run(v.provider);
        return insert(v.provider, v.key, v.ttl);
      });
    },

    rotateKey(name, newKey, ttlDays, overlapHours) {
      const v = validate(name, newKey, ttlDays);
      if (!v.ok) return v;
      if (!Number.isInteger(overlapHours) || (overlapHours as number) < 0 || (overlapHours as number) > 720) {
        return { ok: false, code: 'PRV_ERR_KEY_INVALID', problems: ['overlap_hours must be an integer 0..720'] };
      }
      return inTransaction(() => {
        const t = now();
        db.prepare('DELETE FROM provider_keys WHERE provider = ? AND retired_at IS NOT NULL').run(v.provider);
        db.prepare('UPDATE provider_keys SET retired_at = ? WHERE provider = ? AND retired_at IS NULL').run(t + (overlapHours as number) * HOUR, v.provider);
        return insert(v.provider, v.key, v.ttl);
      });
    },

    resolveKey,

    candidateKeys(name) {
      const t = now();
      const { current: cur, previous } = current(name);
      return [cur && cur.expires_at > t ? cur : undefined, previous].flatMap((r) => (r ? [decrypt(name, r)] : []));
    },

    listProviders(env) {
      const t = now();
      return PROVIDER_NAMES.map((name): ProviderKeyInfo => {
        const keyEnv = KEY_ENV[name];
        const envPresent = keyEnv !== undefined && typeof env[keyEnv] === 'string' && env[keyEnv].trim() !== '';
        if (keyEnv === undefined) return { name, needsKey: false, status: 'none', stored: false, envPresent: false };
        const { current: cur, previous } = current(name);
        const resolved = resolveKey(name, env);
        const status = resolved.ok ? resolved.source : resolved.code === 'PRV_ERR_KEY_EXPIRED' ? 'expired' : 'missing';
        return {
          name,
          needsKey: true,
          status,
          stored: cur !== undefined,
          ...(cur ? { createdAt: cur.created_at, expiresAt: cur.expires_at } : {}),
          ...(previous && previous.retired_at !== null && previous.retired_at > t ? { previousValidUntil: Math.min(previous.retired_at, previous.expires_at) } : {}),
          envPresent,
        };
      });
    },

    keysNearExpiry(days) {
      const t = now();
      const horizon = t + days * DAY;
      const out: Array<{ provider: ProviderName; expiresAt: number; daysLeft: number }> = [];
      for (const name of PROVIDER_NAMES) {
        const cur = current(name).current;
        if (cur && cur.expires_at <= horizon) out.push({ provider: name, expiresAt: cur.expires_at, daysLeft: Math.max(0, Math.floor((cur.expires_at - t) / DAY)) });
      }
      return out;
    },

    deleteKey(name) {
      invalidate();
      return Number(db.prepare('DELETE FROM provider_keys WHERE provider = ?').run(name).changes);
    },
  };
}
