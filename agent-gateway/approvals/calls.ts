/**
 * Tool-call records for GET /tools/calls/:call_id. Status moves forward only:
 *   pending_approval → running | rejected | expired | error;  running → ok | error;
 * terminal states (ok, error, rejected, expired) never change again.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { JsonObject, JsonValue } from '../../sandbox/json.ts';

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
  /** the signed receipt of a call that finished ok (absent: none was issued) */
  readonly receipt?: JsonObject;
}

export interface CallUpdate {
  readonly call_id: string;
  readonly agent_id: string;
  readonly tool: string;
  readonly status: CallStatus;
  readonly result?: JsonValue;
  readonly error?: CallError;
  readonly duration_ms?: number;
  /** the call's signed receipt (status ok), stored in the same write as the result */
  readonly receipt?: JsonObject;
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

interface RunningCall {
  readonly agent_id: string;
  readonly tool: string;
  readonly created_at: number;
}

/**
 * Call records. A call that goes straight to `running` (every admitted, not-held call) is kept
 * in memory while it runs and written ONCE, when it settles: one sqlite commit per call instead
 * of two (issue 12). A gateway killed mid-call loses only that in-memory `running` row, for a
 * call nobody was answered for; the audit log is the durable record of every acknowledged
 * call (test/integration/kill9-durability.test.ts). Held calls (pending_approval) are written at once,
 * as before. Statements are prepared once, here.
 */
export class CallStore {
  readonly #now: () => number;
  readonly #running = new Map<string, RunningCall>();
  readonly #select: StatementSync;
  readonly #insert: StatementSync;
  readonly #update: StatementSync;
  readonly #getAll: StatementSync;
  readonly #forAgent: StatementSync;
  readonly #deleteForAgent: StatementSync;

  constructor(db: DatabaseSync, options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
    this.#select = db.prepare('SELECT agent_id, tool, status FROM tool_calls WHERE call_id = ?');
    this.#insert = db.prepare(`INSERT INTO tool_calls (call_id, agent_id, tool, status, result, error, duration_ms, created_at, updated_at, receipt)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.#update = db.prepare('UPDATE tool_calls SET status = ?, result = ?, error = ?, duration_ms = ?, updated_at = ?, receipt = ? WHERE call_id = ?');
    this.#getAll = db.prepare('SELECT * FROM tool_calls WHERE call_id = ?');
    this.#forAgent = db.prepare('SELECT * FROM tool_calls WHERE agent_id = ? ORDER BY created_at, call_id');
    this.#deleteForAgent = db.prepare('DELETE FROM tool_calls WHERE agent_id = ?');
  }

  /** calls running right now that have no row yet (held in memory until they settle) */
  get runningInMemory(): number {
    return this.#running.size;
  }

  put(u: CallUpdate): CallPutResult {
    const result = u.result === undefined ? null : JSON.stringify(u.result);
    if (result !== null && result.length > CALL_RESULT_MAX_CHARS) throw new RangeError('call result too large to store');
    const error = u.error === undefined ? null : JSON.stringify({ code: String(u.error.code), message: String(u.error.message) });
    const duration = u.duration_ms === undefined ? null : Math.max(0, Math.round(u.duration_ms));
    const receipt = u.receipt === undefined ? null : JSON.stringify(u.receipt);
    const now = this.#now();
    const mem = this.#running.get(u.call_id);
    const row = mem === undefined ? this.#select.get(u.call_id) : { agent_id: mem.agent_id, tool: mem.tool, status: 'running' };
    if (row === undefined) {
      if (u.status === 'running') {
        this.#running.set(u.call_id, { agent_id: u.agent_id, tool: u.tool, created_at: now });
        return { ok: true, record: runningRecord(u.call_id, { agent_id: u.agent_id, tool: u.tool, created_at: now }) };
      }
      this.#insert.run(u.call_id, u.agent_id, u.tool, u.status, result, error, duration, now, now, receipt);
    } else {
      const from = String(row['status']) as CallStatus;
      if (row['agent_id'] !== u.agent_id || row['tool'] !== u.tool) {
        return { ok: false, code: 'GW_ERR_CONFLICT', message: 'call_id belongs to another agent or tool' };
      }
      if (!callTransitionAllowed(from, u.status)) {
        return { ok: false, code: 'GW_ERR_CONFLICT', message: `call cannot move from ${from} to ${u.status}` };
      }
      if (mem !== undefined) {
        this.#running.delete(u.call_id);
        this.#insert.run(u.call_id, u.agent_id, u.tool, u.status, result, error, duration, mem.created_at, now, receipt);
      } else {
        this.#update.run(u.status, result, error, duration, now, receipt, u.call_id);
      }
    }
    return { ok: true, record: this.get(u.call_id) as CallRecord };
  }

  get(callId: string): CallRecord | undefined {
    const mem = this.#running.get(callId);
    if (mem !== undefined) return runningRecord(callId, mem);
    const row = this.#getAll.get(callId);
    return row === undefined ? undefined : toRecord(row);
  }

  /** For privacy export: every call of one agent, oldest first. */
  forAgent(agentId: string): CallRecord[] {
    const stored = this.#forAgent.all(agentId).map(toRecord);
    const running = [...this.#running].filter(([, c]) => c.agent_id === agentId).map(([id, c]) => runningRecord(id, c));
    return [...stored, ...running];
  }

  /** For privacy erase: returns the number of rows removed. */
  deleteForAgent(agentId: string): number {
    let n = 0;
    for (const [id, c] of this.#running) if (c.agent_id === agentId && this.#running.delete(id)) n += 1;
    return n + Number(this.#deleteForAgent.run(agentId).changes);
  }
}

function runningRecord(callId: string, c: RunningCall): CallRecord {
  const at = new Date(c.created_at).toISOString();
  return { call_id: callId, agent_id: c.agent_id, tool: c.tool, status: 'running', result: null, error: null, duration_ms: null, created_at: at, updated_at: at };
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
    ...(typeof row['receipt'] === 'string' ? { receipt: JSON.parse(row['receipt']) as JsonObject } : {}),
  };
}
