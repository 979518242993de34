/**
 * The audit log's second record of itself, kept in sqlite (outside the audit directory):
 * the last committed seq and its line hash (the head), written after every durable group
 * commit and before any append of that batch is acknowledged; and the damage incidents
 * found at open (log behind the head, head hash differs, garbage appended to the tail).
 * Verify and start-up compare the log against the head, so deleting or truncating
 * audit.jsonl together with checkpoints.jsonl is no longer silent.
 *
 * Durability of the head: it is written on its own connection with synchronous=NORMAL (WAL),
 * after the batch's fdatasync and before the batch is acknowledged. It survives a process crash
 * (the WAL frame is in the OS cache) and becomes disk-durable with the next WAL sync (a
 * checkpoint: the main connection runs synchronous=NORMAL too, store/db.ts); only a power loss
 * can roll it back, and only to an older head, which the log is then "ahead of" (tolerated).
 * The head therefore never names a seq the log does not durably hold, and costs ~0.05 ms per
 * group commit instead of a blocking fsync (~3-5 ms measured) on the event loop.
 */
import { DatabaseSync } from 'node:sqlite';

export interface AuditHead {
  readonly seq: number;
  /** sha256 hex of line `seq`'s exact bytes */
  readonly head: string;
}

export type IncidentReason = 'truncated' | 'head_mismatch' | 'garbage_tail';

export interface AuditIncident {
  readonly id: number;
  readonly detected_at: string;
  readonly reason: IncidentReason;
  /** truncated: the missing seqs from..to; head_mismatch: the seq whose line differs; garbage_tail: the seq after the last good line */
  readonly from_seq: number;
  readonly to_seq: number;
  /** truncated: the hash of the lost line `to_seq`, which the next line written chains to */
  readonly anchor?: string;
  readonly detail: Readonly<Record<string, string | number | boolean>>;
  readonly acknowledged?: { readonly at: string; readonly by: string; readonly note: string };
}

export type NewIncident = Omit<AuditIncident, 'id' | 'detected_at' | 'acknowledged'>;

export interface HeadStore {
  get(): AuditHead | null;
  set(head: AuditHead): void;
  record(incident: NewIncident, now?: number): AuditIncident;
  incidents(): AuditIncident[];
  /** acknowledges one incident (or every open one with 'all'); returns how many changed */
  acknowledge(id: number | 'all', by: string, note: string, now?: number): number;
}

const HEX64 = /^[0-9a-f]{64}$/;

function toIncident(r: Record<string, unknown>): AuditIncident {
  let detail: Record<string, string | number | boolean> = {};
  try {
    const v: unknown = JSON.parse(String(r['detail']));
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) detail = v as Record<string, string | number | boolean>;
  } catch {
    // an unreadable detail is shown as empty; the row itself still counts
  }
  const reason = String(r['reason']);
  const anchor = r['anchor'];
  return {
    id: Number(r['id']),
    detected_at: new Date(Number(r['detected_at'])).toISOString(),
    reason: reason === 'truncated' || reason === 'head_mismatch' || reason === 'garbage_tail' ? reason : 'head_mismatch',
    from_seq: Number(r['from_seq']),
    to_seq: Number(r['to_seq']),
    ...(typeof anchor === 'string' && HEX64.test(anchor) ? { anchor } : {}),
    detail,
    ...(r['acknowledged_at'] === null ? {} : {
      acknowledged: {
        at: new Date(Number(r['acknowledged_at'])).toISOString(),
        by: String(r['acknowledged_by']),
        note: String(r['note'] ?? ''),
      },
    }),
  };
}

/**
 * A second connection to the same sqlite file for head writes (see the note at the top); the
 * database itself when it has no file (in-memory). Close it after the audit log.
 */
export function openHeadConnection(db: DatabaseSync): DatabaseSync {
  const file = db.location();
  if (file === null || file === '') return db;
  const own = new DatabaseSync(file);
  own.exec('PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL;');
  return own;
}

/** `headDb` (from openHeadConnection) carries the head; incidents live on `db`. */
export function createHeadStore(db: DatabaseSync, headDb: DatabaseSync = db): HeadStore {
  const select = headDb.prepare('SELECT seq, head FROM audit_head WHERE id = 1');
  const upsert = headDb.prepare(`INSERT INTO audit_head (id, seq, head, updated_at) VALUES (1, ?, ?, ?)
    ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, head = excluded.head, updated_at = excluded.updated_at`);
  return {
    get() {
      const row = select.get();
      if (row === undefined) return null;
      const seq = Number(row['seq']);
      const head = String(row['head']);
      // a malformed row is reported as a head nothing can match, never silently ignored
      return { seq: Number.isSafeInteger(seq) && seq >= 0 ? seq : Number.MAX_SAFE_INTEGER, head: HEX64.test(head) ? head : 'x'.repeat(64) };
    },
    set(h) {
      upsert.run(h.seq, h.head, Date.now());
    },
    record(i, now = Date.now()) {
      const res = db.prepare(`INSERT INTO audit_incidents (detected_at, reason, from_seq, to_seq, anchor, detail)
        VALUES (?, ?, ?, ?, ?, ?)`).run(now, i.reason, i.from_seq, i.to_seq, i.anchor ?? null, JSON.stringify(i.detail));
      const row = db.prepare('SELECT * FROM audit_incidents WHERE id = ?').get(Number(res.lastInsertRowid));
      if (row === undefined) throw new Error('audit incident missing after insert');
      return toIncident(row);
    },
    incidents() {
      return db.prepare('SELECT * FROM audit_incidents ORDER BY id').all().map(toIncident);
    },
    acknowledge(id, by, note, now = Date.now()) {
      const res = id === 'all'
        ? db.prepare('UPDATE audit_incidents SET acknowledged_at = ?, acknowledged_by = ?, note = ? WHERE acknowledged_at IS NULL').run(now, by, note)
        : db.prepare('UPDATE audit_incidents SET acknowledged_at = ?, acknowledged_by = ?, note = ? WHERE id = ? AND acknowledged_at IS NULL').run(now, by, note, id);
      return Number(res.changes);
    },
  };
}
