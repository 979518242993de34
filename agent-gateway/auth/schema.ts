import type { Migration } from '../store/db.ts';

export const AUTH_MIGRATIONS: readonly Migration[] = [
  {
    id: 'core-001-users-sessions-agents',
    sql: `
      CREATE TABLE users (
        username TEXT PRIMARY KEY,
        role TEXT NOT NULL CHECK (role IN ('admin', 'user')),
        pw_algo TEXT NOT NULL, pw_iterations INTEGER NOT NULL, pw_salt TEXT NOT NULL, pw_hash TEXT NOT NULL,
        created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL
      );
      CREATE TABLE sessions (
        id TEXT PRIMARY KEY, family_id TEXT NOT NULL, username TEXT NOT NULL, role TEXT NOT NULL,
        access_hash TEXT NOT NULL UNIQUE, access_expires_at INTEGER NOT NULL,
        refresh_hash TEXT NOT NULL UNIQUE, refresh_expires_at INTEGER NOT NULL,
        created_at INTEGER NOT NULL, rotated_at INTEGER, revoked_at INTEGER, revoke_reason TEXT
      );
      CREATE INDEX sessions_family ON sessions (family_id);
      CREATE INDEX sessions_user ON sessions (username);
      CREATE TABLE agents (
        agent_id TEXT PRIMARY KEY, tools TEXT NOT NULL, token_hash TEXT NOT NULL UNIQUE,
        created_by TEXT NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL
      );
      CREATE TABLE setup_token (
        id INTEGER PRIMARY KEY CHECK (id = 1), token_hash TEXT NOT NULL, created_at INTEGER NOT NULL
      );
    `,
  },
  {
    id: 'core-002-login-devices',
    sql: `
      CREATE TABLE login_devices (
        token_hash TEXT PRIMARY KEY, username TEXT NOT NULL,
        created_at INTEGER NOT NULL, last_used_at INTEGER NOT NULL, expires_at INTEGER NOT NULL
      );
      CREATE INDEX login_devices_user ON login_devices (username);
    `,
  },
  {
    // issue 18.15: an optional per-agent token bucket (NULL: the PALISADE_AGENT_RATE_LIMIT default)
    id: 'core-003-agent-rate-limit',
    sql: `
      ALTER TABLE agents ADD COLUMN rate_burst INTEGER;
      ALTER TABLE agents ADD COLUMN rate_per_second REAL;
    `,
  },
  {
    // issue 14.5: a delegated agent names its parent (NULL: issued by an admin); deleting a
    // parent deletes its descendants, and a token is valid only while every ancestor is
    id: 'core-004-agent-parent',
    sql: `
      ALTER TABLE agents ADD COLUMN parent_id TEXT;
      CREATE INDEX agents_parent ON agents (parent_id);
    `,
  },
];
