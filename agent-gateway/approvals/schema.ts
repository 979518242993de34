/** sqlite tables for the approval queue, its config and tool-call records. */
import type { Migration } from '../store/db.ts';

export const APPROVAL_MIGRATIONS: readonly Migration[] = [
  {
    id: 'approvals-001-items',
    sql: `CREATE TABLE approvals (
      id TEXT PRIMARY KEY,
      call_id TEXT NOT NULL UNIQUE,
      agent_id TEXT NOT NULL,
      requested_by TEXT NOT NULL,
      tool TEXT NOT NULL,
      args_redacted TEXT NOT NULL,
      exact_call TEXT,
      args_sha256 TEXT NOT NULL,
      risk TEXT NOT NULL,
      status TEXT NOT NULL CHECK (status IN ('pending','approved','rejected','expired','executed','failed')),
      created_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL,
      decided_by TEXT,
      decided_at INTEGER,
      note TEXT,
      execution_started_at INTEGER
    );
    CREATE INDEX approvals_status ON approvals (status, expires_at);
    CREATE INDEX approvals_agent ON approvals (agent_id)`,
  },
  {
    id: 'approvals-002-config',
    sql: `CREATE TABLE approvals_config (
      id INTEGER PRIMARY KEY CHECK (id = 1),
      timeout_seconds INTEGER NOT NULL,
      actor TEXT NOT NULL,
      updated_at INTEGER NOT NULL
    )`,
  },
  {
    id: 'approvals-003-calls',
    sql: `CREATE TABLE tool_calls (
      call_id TEXT PRIMARY KEY,
      agent_id TEXT NOT NULL,
      tool TEXT NOT NULL,
      status TEXT NOT NULL CHECK (status IN ('pending_approval','running','ok','error','rejected','expired')),
      result TEXT,
      error TEXT,
      duration_ms INTEGER,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    );
    CREATE INDEX tool_calls_agent ON tool_calls (agent_id)`,
  },
  {
    id: 'approvals-004-definition',
    // the tool definition (manifest + handler) sha256 a queued call was admitted against
    sql: 'ALTER TABLE approvals ADD COLUMN definition_sha256 TEXT',
  },
  {
    id: 'approvals-005-call-receipt',
    // the signed receipt (receipts/receipt.ts) of a call that finished ok, shown by GET /tools/calls/:id
    sql: 'ALTER TABLE tool_calls ADD COLUMN receipt TEXT',
  },
];
