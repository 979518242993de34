/**
 * SQLite tables of the audit module. `audit_subject_keys` holds one AES-256 key per data
 * subject (looked up by a keyed hash of the subject, never the subject itself); deleting a
 * row crypto-shreds that subject's personal fields in the audit log. `audit_meta` holds the
 * HMAC key for subject hashes.
 */
import type { Migration } from '../store/db.ts';

export const AUDIT_MIGRATIONS: readonly Migration[] = [
  {
    id: 'audit-001-subject-keys',
    sql: `CREATE TABLE audit_subject_keys (
            subject_hash TEXT PRIMARY KEY,
            key BLOB NOT NULL,
            created_at INTEGER NOT NULL
          ) STRICT;
          CREATE TABLE audit_meta (
            name TEXT PRIMARY KEY,
            value BLOB NOT NULL
          ) STRICT;`,
  },
];
