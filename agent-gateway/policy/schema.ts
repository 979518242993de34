/** sqlite tables for the policy document history and the kill switch. */
import type { Migration } from '../store/db.ts';

export const POLICY_MIGRATIONS: readonly Migration[] = [
  {
    id: 'policy-001-versions',
    sql: `CREATE TABLE policy_versions (
      version INTEGER PRIMARY KEY,
      doc TEXT NOT NULL,
      actor TEXT NOT NULL,
      created_at INTEGER NOT NULL
    )`,
  },
  {
    id: 'policy-002-kill-switch',
    sql: `CREATE TABLE kill_switch (
      id INTEGER PRIMARY KEY CHECK (id = 1),
      active INTEGER NOT NULL CHECK (active IN (0, 1)),
      reason TEXT,
      actor TEXT NOT NULL,
      since INTEGER NOT NULL
    )`,
  },
];
