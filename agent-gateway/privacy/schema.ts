/** Privacy tables: per-origin redaction rules, consent records, chat sessions. */
import type { Migration } from '../store/db.ts';

export const PRIVACY_MIGRATIONS: readonly Migration[] = [
  {
    id: 'privacy-001-redaction-rules',
    sql: `CREATE TABLE redaction_rules (
      origin TEXT PRIMARY KEY,
      rule_json TEXT NOT NULL,
      updated_at INTEGER NOT NULL,
      updated_by TEXT NOT NULL
    );`,
  },
  {
    id: 'privacy-002-consent-records',
    sql: `CREATE TABLE consent_records (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      subject TEXT NOT NULL,
      origin TEXT NOT NULL,
      fields_shared TEXT NOT NULL,
      fields_redacted TEXT NOT NULL,
      provider TEXT NOT NULL,
      session_id TEXT,
      created_at INTEGER NOT NULL
    );
    CREATE INDEX consent_records_by_subject ON consent_records (subject, id);`,
  },
  {
    id: 'privacy-003-chat-sessions',
    sql: `CREATE TABLE chat_sessions (
      id TEXT PRIMARY KEY,
      subject TEXT NOT NULL,
      provider TEXT NOT NULL,
      model TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL,
      message_count INTEGER NOT NULL DEFAULT 0,
      summary TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX chat_sessions_by_subject ON chat_sessions (subject, created_at);`,
  },
];
