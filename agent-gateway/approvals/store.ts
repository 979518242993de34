/**
 * Persistent approval queue (sqlite). Each item is bound to one exact call: the canonical
 * `{tool, args}` is stored with its sha256 and handed out once, for execution only, after the
 * hash is re-verified. Pending items past `expires_at` become `expired` lazily on every read and
 * on `sweep()`. Decisions need an admin principal that is not the requesting principal. The
 * full args are erased once an item reaches a terminal state. Call records (CallStore) follow
 * rejections and expiries in the same transaction.
 */
import { randomUUID } from 'node:crypto';
import type { DatabaseSync } from 'node:sqlite';
import { transaction } from '../store/db.ts';
import type { JsonValue } from '../../sandbox/json.ts';
import { argsSha256, canonicalJson } from './canonical.ts';
import type { CallStore } from './calls.ts';
import { TIMEOUT_MAX, TIMEOUT_MIN } from './config.ts';
import type { ApprovalEvents } from './events.ts';
import { checkDecider, principalActor, type ApprovalPrincipal } from './principal.ts';
import { rowToItem, type ApprovalItem, type ApprovalRisk } from './item.ts';
import { isApprovalStatus, isTerminal, nextStatus, type ApprovalAction, type ApprovalStatus } from './state.ts';

export interface NewApproval {
  /** a pre-generated `apr_<uuid>` (so the audit line naming it can be written first); default: new */
  readonly id?: string;
  readonly call_id: string;
  readonly agent_id: string;
  readonly tool: string;
  /** the full args, kept only for execution */
  readonly args: JsonValue;
  /** what admins see */
  readonly args_redacted: JsonValue;
  readonly risk: ApprovalRisk;
  readonly timeout_seconds: number;
  /** principal that caused the call; default `agent:<agent_id>` */
  readonly requested_by?: string;
  /** the tool definition hash the call was admitted against (RegisteredTool.definitionSha256) */
  readonly definition_sha256?: string;
}

export interface ExactCall {
  readonly approval_id: string; readonly call_id: string; readonly agent_id: string; readonly tool: string; readonly args: JsonValue;
  /** absent for items queued before definitions were recorded */
  readonly definition_sha256?: string;
}

type Fail<C extends string> = { ok: false; code: C; message: string };
export type DecisionResult = { ok: true; item: ApprovalItem } | Fail<'GW_ERR_NOT_FOUND' | 'GW_ERR_FORBIDDEN' | 'GW_ERR_CONFLICT' | 'GW_ERR_VALIDATION'>;
export type ExactCallResult = { ok: true; call: ExactCall } | Fail<'GW_ERR_NOT_FOUND' | 'GW_ERR_CONFLICT' | 'GW_ERR_APPROVAL_TAMPERED'>;

export const NOTE_MAX = 1024;

/** Parses a row's exact call and re-verifies it against the stored digest. */
function verifiedCall(row: Record<string, unknown>): ExactCallResult {
  const parsed = JSON.parse(String(row['exact_call'])) as { tool: unknown; args: JsonValue };
  if (parsed.tool !== row['tool'] || argsSha256(String(parsed.tool), parsed.args) !== row['args_sha256']) {
    return { ok: false, code: 'GW_ERR_APPROVAL_TAMPERED', message: 'stored call does not match its digest' };
  }
  const def = row['definition_sha256'];
  return {
    ok: true,
    call: {
      approval_id: String(row['id']), call_id: String(row['call_id']), agent_id: String(row['agent_id']), tool: String(row['tool']),
      args: parsed.args, ...(typeof def === 'string' ? { definition_sha256: def } : {}),
    },
  };
}

/** requested_by holds principal strings (`agent:x`, `user:x`, `admin:x`) or bare names. */
const SUBJECT_MATCH = 'agent_id = ? OR requested_by IN (?, ?, ?, ?)';
const subjectParams = (s: string): string[] => [s, s, `user:${s}`, `admin:${s}`, `agent:${s}`];
const ID_MAX = 256;

export class ApprovalStore {
  readonly #db: DatabaseSync;
  readonly #now: () => number;
  readonly #events: ApprovalEvents | undefined;
  readonly #calls: CallStore | undefined;

  constructor(db: DatabaseSync, options: { now?: () => number; events?: ApprovalEvents; calls?: CallStore } = {}) {
    this.#db = db;
    this.#now = options.now ?? Date.now;
    this.#events = options.events;
    this.#calls = options.calls;
  }

  create(input: NewApproval): ApprovalItem {
    for (const k of ['call_id', 'agent_id', 'tool'] as const) {
      if (typeof input[k] !== 'string' || input[k].length === 0 || input[k].length > ID_MAX) throw new RangeError(`${k} must be 1..${ID_MAX} characters`);
    }
    const t = input.timeout_seconds;
    if (!Number.isInteger(t) || t < TIMEOUT_MIN || t > TIMEOUT_MAX) throw new RangeError('timeout_seconds out of range');
    if (input.risk !== 'low' && input.risk !== 'medium' && input.risk !== 'high') throw new RangeError('invalid risk');
    const exact = canonicalJson({ tool: input.tool, args: input.args });
    if (input.id !== undefined && !/^apr_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(input.id)) throw new RangeError('id must be apr_<uuid>');
    const id = input.id ?? `apr_${randomUUID()}`;
    const now = this.#now();
    this.#db.prepare(`INSERT INTO approvals (id, call_id, agent_id, requested_by, tool, args_redacted, exact_call, args_sha256,
      risk, status, created_at, expires_at, updated_at, definition_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?)`)
      .run(id, input.call_id, input.agent_id, input.requested_by ?? `agent:${input.agent_id}`, input.tool,
        canonicalJson(input.args_redacted), exact, argsSha256(input.tool, input.args), input.risk, now, now + t * 1000, now,
        input.definition_sha256 ?? null);
    const item = this.#read(id) as ApprovalItem;
    this.#events?.emit({ type: 'approval.created', item });
    return item;
  }

  get(id: string): ApprovalItem | undefined {
    this.#expireDue(id);
    return this.#read(id);
  }

  list(filter: { status?: ApprovalStatus; agent_id?: string; limit?: number } = {}): ApprovalItem[] {
    this.sweep();
    const where: string[] = [];
    const params: string[] = [];
    if (filter.status !== undefined) {
      if (!isApprovalStatus(filter.status)) throw new RangeError('invalid status filter');
      where.push('status = ?');
      params.push(filter.status);
    }
    if (filter.agent_id !== undefined) {
      where.push('agent_id = ?');
      params.push(filter.agent_id);
    }
    const limit = Math.max(1, Math.min(1000, Math.trunc(filter.limit ?? 100)));
    const sql = `SELECT * FROM approvals ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id LIMIT ${limit}`;
    return this.#db.prepare(sql).all(...params).map(rowToItem);
  }

  /** Pending items in total, or of one agent. */
  pendingCount(agentId?: string): number {
    this.sweep();
    const row = agentId === undefined
      ? this.#db.prepare("SELECT COUNT(*) AS n FROM approvals WHERE status = 'pending'").get()
      : this.#db.prepare("SELECT COUNT(*) AS n FROM approvals WHERE status = 'pending' AND agent_id = ?").get(agentId);
    return Number(row?.['n'] ?? 0);
  }

  /**
   * The exact stored call of an item that still holds it (pending, or approved and not yet
   * finished), digest re-verified, WITHOUT handing it out: for re-admission before a decision
   * and for an admin's audited reveal. Never marks anything.
   */
  storedCall(id: string): ExactCallResult {
    this.#expireDue(id);
    const row = this.#db.prepare('SELECT * FROM approvals WHERE id = ?').get(id);
    if (row === undefined) return { ok: false, code: 'GW_ERR_NOT_FOUND', message: 'no such approval' };
    if (row['exact_call'] === null) return { ok: false, code: 'GW_ERR_CONFLICT', message: `the exact args were erased when the item became ${String(row['status'])}` };
    return verifiedCall(row);
  }

  /** Expires every pending item past its deadline; returns them (for audit and metrics). */
  sweep(): ApprovalItem[] {
    return this.#expireDue(undefined);
  }

  /** Admin decision: `approve` or `reject`, with an optional note (≤ 1024 chars). */
  decide(id: string, action: 'approve' | 'reject', decider: ApprovalPrincipal, note?: string): DecisionResult {
    if (note !== undefined && (typeof note !== 'string' || note.length > NOTE_MAX)) {
      return { ok: false, code: 'GW_ERR_VALIDATION', message: `note must be at most ${NOTE_MAX} characters` };
    }
    this.#expireDue(id);
    const result = transaction(this.#db, (): DecisionResult => {
      const row = this.#db.prepare('SELECT * FROM approvals WHERE id = ?').get(id);
      if (row === undefined) return { ok: false, code: 'GW_ERR_NOT_FOUND', message: 'no such approval' };
      const who = checkDecider(decider, action, { agent_id: String(row['agent_id']), requested_by: String(row['requested_by']) });
      if (!who.ok) return who;
      const next = this.#apply(row, action, principalActor(decider), note ?? null);
      return next.ok ? { ok: true, item: next.item } : next;
    });
    if (result.ok) this.#events?.emit({ type: 'approval.updated', item: result.item });
    return result;
  }

  /**
   * The exact stored call of an approved item, handed out once: the hash is re-verified and
   * the item is marked as started, so a second request is a conflict (no double execution).
   */
  takeExactCall(id: string): ExactCallResult {
    return transaction(this.#db, (): ExactCallResult => {
      const row = this.#db.prepare('SELECT * FROM approvals WHERE id = ?').get(id);
      if (row === undefined) return { ok: false, code: 'GW_ERR_NOT_FOUND', message: 'no such approval' };
      if (row['status'] !== 'approved' || row['execution_started_at'] !== null || row['exact_call'] === null) {
        return { ok: false, code: 'GW_ERR_CONFLICT', message: 'approval is not approved or was already executed' };
      }
      const verified = verifiedCall(row);
      if (!verified.ok) return verified;
      this.#db.prepare('UPDATE approvals SET execution_started_at = ? WHERE id = ?').run(this.#now(), id);
      return verified;
    });
  }

  /** Records the outcome of running an approved call (`executed` or `failed`). */
  completeExecution(id: string, outcome: 'executed' | 'failed'): DecisionResult {
    const result = transaction(this.#db, (): DecisionResult => {
      const row = this.#db.prepare('SELECT * FROM approvals WHERE id = ?').get(id);
      if (row === undefined) return { ok: false, code: 'GW_ERR_NOT_FOUND', message: 'no such approval' };
      return this.#apply(row, outcome, 'system', null);
    });
    if (result.ok) this.#events?.emit({ type: 'approval.updated', item: result.item });
    return result;
  }

  /** For privacy export: items the subject requested, as the agent or as the requesting principal. */
  forSubject(subject: string): ApprovalItem[] {
    return this.#db.prepare(`SELECT * FROM approvals WHERE ${SUBJECT_MATCH} ORDER BY created_at, id`).all(...subjectParams(subject)).map(rowToItem);
  }

  /** For privacy erase: returns the number of rows removed. */
  deleteForSubject(subject: string): number {
    return Number(this.#db.prepare(`DELETE FROM approvals WHERE ${SUBJECT_MATCH}`).run(...subjectParams(subject)).changes);
  }

  #apply(row: Record<string, unknown>, action: ApprovalAction, actor: string, note: string | null):
    { ok: true; item: ApprovalItem } | Fail<'GW_ERR_CONFLICT'> {
    const next = nextStatus(String(row['status']) as ApprovalStatus, action);
    if (!next.ok) return next;
    const now = this.#now();
    const decision = action === 'approve' || action === 'reject' || action === 'expire';
    this.#db.prepare(`UPDATE approvals SET status = ?, updated_at = ?,
        decided_by = CASE WHEN ? THEN ? ELSE decided_by END,
        decided_at = CASE WHEN ? THEN ? ELSE decided_at END,
        note = CASE WHEN ? THEN ? ELSE note END,
        exact_call = CASE WHEN ? THEN NULL ELSE exact_call END
      WHERE id = ?`)
      .run(next.status, now, decision ? 1 : 0, actor, decision ? 1 : 0, now, decision ? 1 : 0, note, isTerminal(next.status) ? 1 : 0, String(row['id']));
    if (this.#calls !== undefined && (next.status === 'rejected' || next.status === 'expired')) {
      const call = this.#calls.get(String(row['call_id']));
      if (call !== undefined && call.status === 'pending_approval') {
        this.#calls.put({ call_id: call.call_id, agent_id: call.agent_id, tool: call.tool, status: next.status });
      }
    }
    return { ok: true, item: this.#read(String(row['id'])) as ApprovalItem };
  }

  #expireDue(id: string | undefined): ApprovalItem[] {
    const now = this.#now();
    const expired = transaction(this.#db, () => {
      const rows = id === undefined
        ? this.#db.prepare("SELECT * FROM approvals WHERE status = 'pending' AND expires_at < ?").all(now)
        : this.#db.prepare("SELECT * FROM approvals WHERE status = 'pending' AND expires_at < ? AND id = ?").all(now, id);
      const out: ApprovalItem[] = [];
      for (const row of rows) {
        const r = this.#apply(row, 'expire', 'system', null);
        if (r.ok) out.push(r.item);
      }
      return out;
    });
    for (const item of expired) this.#events?.emit({ type: 'approval.updated', item });
    return expired;
  }

  #read(id: string): ApprovalItem | undefined {
    const row = this.#db.prepare('SELECT * FROM approvals WHERE id = ?').get(id);
    return row === undefined ? undefined : rowToItem(row);
  }
}
