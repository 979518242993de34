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
  {
    // Exact summaries instead of a capped read of the newest rows (issue 14), each answered
    // by a few index lookups whatever the volume:
    //  - governance_tag_latest: the newest call per (principal, tag), for taint;
    //  - seq: 1, 2, 3 ... per (principal, risk) in time order, so the number of calls of a
    //    level since an instant is last seq - first seq in the window + 1, for risk;
    //  - an index on ts alone for pruning. Filled from the rows already there.
    id: 'governance-002-summary',
    sql: `CREATE TABLE governance_tag_latest (
      principal TEXT NOT NULL,
      tag TEXT NOT NULL,
      call_id TEXT NOT NULL,
      tool TEXT NOT NULL,
      ts INTEGER NOT NULL,
      PRIMARY KEY (principal, tag)
    ) WITHOUT ROWID;
    INSERT INTO governance_tag_latest (principal, tag, call_id, tool, ts)
      SELECT c.principal, j.value, c.call_id, c.tool, MAX(c.ts)
      FROM governance_calls AS c, json_each(CASE WHEN json_valid(c.tags) THEN c.tags ELSE '[]' END) AS j
      WHERE j.type = 'text'
      GROUP BY c.principal, j.value;
    ALTER TABLE governance_calls ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
    UPDATE governance_calls SET seq = r.n
      FROM (SELECT rowid AS id, ROW_NUMBER() OVER (PARTITION BY principal, risk ORDER BY ts, rowid) AS n FROM governance_calls) AS r
      WHERE governance_calls.rowid = r.id;
    DROP INDEX governance_calls_principal_ts;
    CREATE INDEX governance_calls_principal_risk_ts_seq ON governance_calls (principal, risk, ts, seq);
    CREATE INDEX governance_calls_ts ON governance_calls (ts)`,
  },
];
