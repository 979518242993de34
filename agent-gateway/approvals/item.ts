/** The approval item as shown to admins (and to the requesting agent): args are the redacted copy. */
import type { JsonValue } from '../../sandbox/json.ts';
import type { ApprovalStatus } from './state.ts';

export type ApprovalRisk = 'low' | 'medium' | 'high';

export interface ApprovalItem {
  readonly id: string;
  readonly call_id: string;
  readonly agent_id: string;
  readonly requested_by: string;
  readonly tool: string;
  readonly args: JsonValue;
  readonly args_sha256: string;
  readonly risk: ApprovalRisk;
  readonly status: ApprovalStatus;
  readonly created_at: string;
  readonly expires_at: string;
  readonly decided_by: string | null;
  readonly decided_at: string | null;
  readonly note: string | null;
}

export function rowToItem(row: Record<string, unknown>): ApprovalItem {
  const iso = (v: unknown) => (v === null || v === undefined ? null : new Date(Number(v)).toISOString());
  return {
    id: String(row['id']),
    call_id: String(row['call_id']),
    agent_id: String(row['agent_id']),
    requested_by: String(row['requested_by']),
    tool: String(row['tool']),
    args: JSON.parse(String(row['args_redacted'])) as JsonValue,
    args_sha256: String(row['args_sha256']),
    risk: String(row['risk']) as ApprovalRisk,
    status: String(row['status']) as ApprovalStatus,
    created_at: iso(row['created_at']) as string,
    expires_at: iso(row['expires_at']) as string,
    decided_by: row['decided_by'] === null ? null : String(row['decided_by']),
    decided_at: iso(row['decided_at']),
    note: row['note'] === null ? null : String(row['note']),
  };
}
