/** sqlite table for the alert configuration (one row). */
import type { Migration } from '../store/db.ts';

export const ALERT_MIGRATIONS: readonly Migration[] = [
  {
    id: 'alerts-001-config',
    sql: `CREATE TABLE alerts_config (
      id INTEGER PRIMARY KEY CHECK (id = 1),
      doc TEXT NOT NULL,
      actor TEXT NOT NULL,
      updated_at INTEGER NOT NULL
    )`,
  },
];
