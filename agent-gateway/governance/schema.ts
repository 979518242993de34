/** sqlite tables of session governance state (governance/state.ts). */
import type { Migration } from '../store/db.ts';

export const GOVERNANCE_MIGRATIONS: readonly Migration[] = [
  {
    id: 'governance-001-calls',
    sql: `CREATE TABLE governance_calls (
      principal TEXT NOT NULL,
      call_id TEXT NOT NULL,
      agent_id TEXT NOT NULL,
      tool TEXT NOT NULL,
      tags TEXT NOT NULL,
      risk TEXT NOT NULL CHECK (risk IN ('low', 'medium', 'high', 'critical')),
      ts INTEGER NOT NULL
    );
    CREATE INDEX governance_calls_principal_ts ON governance_calls (principal, ts)`,
  },
];
