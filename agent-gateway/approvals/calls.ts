/**
 * Tool-call records for GET /tools/calls/:call_id. Status moves forward only:
 *   pending_approval → running | rejected | expired | error;  running → ok | error;
 * terminal states (ok, error, rejected, expired) never change again.
 */
import type { DatabaseSync } from 'node:sqlite';
import type { JsonValue } from '../../sandbox/json.ts';

export type CallStatus = 'pending_approval' | 'running' | 'ok' | 'error' | 'rejected' | 'expired';

export interface CallError { readonly code: string; readonly message: string }

export interface CallRecord {
  readonly call_id: string;
  readonly agent_id: string;
  readonly tool: string;
  readonly status: CallStatus;
  readonly result: JsonValue | null;
  readonly error: CallError | null;
  readonly duration_ms: number | null;
  readonly created_at: string;
  readonly updated_at: string;
}

export interface CallUpdate {
  readonly call_id: string;
  readonly agent_id: string;
  readonly tool: string;
  readonly status: CallStatus;
  readonly result?: JsonValue;
  readonly error?: CallError;
  readonly duration_ms?: number;
}

export type CallPutResult = { ok: true; record: CallRecord } | { ok: false; code: 'GW_ERR_CONFLICT'; message: string };

export const CALL_RESULT_MAX_CHARS = 1_048_576;

export function callTransitionAllowed(from: CallStatus, to: CallStatus): boolean {
  switch (from) {
    case 'pending_approval': return to === 'running' || to === 'rejected' || to === 'expired' || to === 'error';
    case 'running': return to === 'ok' || to === 'error';
    case 'ok':
    case 'error':
    case 'rejected':
    case 'expired': return false;
    default: {
      const never: never = from;
      throw new Error(`unexpected call status ${String(never)}`);
    }
  }
}

export class CallStore {
  readonly #db: DatabaseSync;
  readonly #now: () => number;

  constructor(db: DatabaseSync, options: { now?: () => number } = {}) {
    this.#db = db;
    this.#now = options.now ?? Date.now;
  }

  put(u: CallUpdate): CallPutResult {
    const result = u.result === undefined ? null : JSON.stringify(u.result);
    if (result !== null && result.length > CALL_RESULT_MAX_CHARS) throw new RangeError('call result too large to store');
    const error = u.error === undefined ? null : JSON.stringify({ code: String(u.error.code), message: String(u.error.message) });
    const duration = u.duration_ms === undefined ? null : Math.max(0, Math.round(u.duration_ms));
    const now = this.#now();
    const row = this.#db.prepare('SELECT agent_id, tool, status FROM tool_calls WHERE call_id = ?').get(u.call_id);
    if (row === undefined) {
      this.#db.prepare(`INSERT INTO tool_calls (call_id, agent_id, tool, status, result, error, duration_ms, created_at, updated_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(u.call_id, u.agent_id, u.tool, u.status, result, error, duration, now, now);
    } else {
      const from = String(row['status']) as CallStatus;
      if (row['agent_id'] !== u.agent_id || row['tool'] !== u.tool) {
        return { ok: false, code: 'GW_ERR_CONFLICT', message: 'call_id belongs to another agent or tool' };
      }
      if (!callTransitionAllowed(from, u.status)) {
        return { ok: false, code: 'GW_ERR_CONFLICT', message: `call cannot move from ${from} to ${u.status}` };
      }
      this.#db.prepare('UPDATE tool_calls SET status = ?, result = ?, error = ?, duration_ms = ?, updated_at = ? WHERE call_id = ?')
        .run(u.status, result, error, duration, now, u.call_id);
    }
    return { ok: true, record: this.get(u.call_id) as CallRecord };
  }

  get(callId: string): CallRecord | undefined {
    const row = this.#db.prepare('SELECT * FROM tool_calls WHERE call_id = ?').get(callId);
    return row === undefined ? undefined : toRecord(row);
  }

  /** For privacy export: every call of one agent, oldest first. */
  forAgent(agentId: string): CallRecord[] {
    return this.#db.prepare('SELECT * FROM tool_calls WHERE agent_id = ? ORDER BY created_at, call_id').all(agentId).map(toRecord);
  }

  /** For privacy erase: returns the number of rows removed. */
  deleteForAgent(agentId: string): number {
    return Number(this.#db.prepare('DELETE FROM tool_calls WHERE agent_id = ?').run(agentId).changes);
  }
}

function toRecord(row: Record<string, unknown>): CallRecord {
  const num = row['duration_ms'];
  return {
    call_id: String(row['call_id']),
    agent_id: String(row['agent_id']),
    tool: String(row['tool']),
    status: String(row['status']) as CallStatus,
    result: row['result'] === null ? null : (JSON.parse(String(row['result'])) as JsonValue),
    error: row['error'] === null ? null : (JSON.parse(String(row['error'])) as CallError),
    duration_ms: num === null ? null : Number(num),
    created_at: new Date(Number(row['created_at'])).toISOString(),
    updated_at: new Date(Number(row['updated_at'])).toISOString(),
  };
}
