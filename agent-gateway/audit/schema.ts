/**
 * SQLite tables of the audit module. `audit_subject_keys` holds one AES-256 key per data
 * subject (looked up by a keyed hash of the subject, never the subject itself); deleting a
 * row crypto-shreds that subject's personal fields in the audit log. `audit_meta` holds the
 * HMAC key for subject hashes. `audit_head` is the last committed seq and line hash (see
 * head.ts) and `audit_incidents` the damage found at open, kept until acknowledged.
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
  {
    id: 'audit-002-head-incidents',
    sql: `CREATE TABLE audit_head (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            seq INTEGER NOT NULL,
            head TEXT NOT NULL,
            updated_at INTEGER NOT NULL
          ) STRICT;
          CREATE TABLE audit_incidents (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            detected_at INTEGER NOT NULL,
            reason TEXT NOT NULL,
            from_seq INTEGER NOT NULL,
            to_seq INTEGER NOT NULL,
            anchor TEXT,
            detail TEXT NOT NULL,
            acknowledged_at INTEGER,
            acknowledged_by TEXT,
            note TEXT
          ) STRICT;`,
  },
];
