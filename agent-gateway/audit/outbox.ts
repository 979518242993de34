/**
 * Audit outbox for writers other than the gateway (the `palisade` CLI). The audit log has one
 * writer, so the CLI records its events in sqlite, in the same transaction as the change it
 * describes; the gateway moves them into the encrypted log at start, periodically and at
 * shutdown. A row is deleted only after its line is durable, so a crash repeats at most a line,
 * never loses one.
 */
import type { DatabaseSync } from 'node:sqlite';
import { isEventType, type EventSink, type SecurityEvent } from '../events.ts';
import type { Migration } from '../store/db.ts';

export const OUTBOX_MIGRATIONS: readonly Migration[] = [
  {
    id: 'audit-100-outbox',
    sql: 'CREATE TABLE audit_outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, event TEXT NOT NULL, created_at INTEGER NOT NULL);',
  },
];

export function enqueueAuditEvent(db: DatabaseSync, event: SecurityEvent, now: number = Date.now()): void {
  db.prepare('INSERT INTO audit_outbox (event, created_at) VALUES (?, ?)').run(JSON.stringify(event), now);
}

function parseEvent(text: string): SecurityEvent | undefined {
  try {
    const v = JSON.parse(text) as Partial<Record<keyof SecurityEvent, unknown>>;
    // a type outside the event list is not one the CLI writes: the row is recorded as unreadable
    if (!isEventType(v.type) || typeof v.actor !== 'string' || typeof v.outcome !== 'string') return undefined;
    return v as SecurityEvent;
  } catch {
    return undefined;
  }
}

/** Moves every queued event into the sink in order; returns how many were written. */
export async function drainOutbox(db: DatabaseSync, sink: EventSink, batch = 100): Promise<number> {
  let moved = 0;
  for (;;) {
    const rows = db.prepare('SELECT id, event FROM audit_outbox ORDER BY id LIMIT ?').all(batch);
    if (rows.length === 0) return moved;
    for (const row of rows) {
      const event = parseEvent(String(row['event'])) ?? {
        type: 'audit.outbox_unreadable', actor: 'system', outcome: 'error', data: { outbox_id: Number(row['id']) },
      };
      await sink.record(event);
      db.prepare('DELETE FROM audit_outbox WHERE id = ?').run(Number(row['id']));
      moved += 1;
    }
  }
}
