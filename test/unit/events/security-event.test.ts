/**
 * SecurityEvent is one union keyed by `type`: the runtime list agrees with it, and the outbox
 * drain (the one path where an event arrives as text, from the CLI) appends only listed types;
 * a row with any other type is recorded as `audit.outbox_unreadable`, never passed through.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EVENT_TYPES, isEventType, type EventSink, type SecurityEvent } from '../../../agent-gateway/events.ts';
import { drainOutbox, enqueueAuditEvent, OUTBOX_MIGRATIONS } from '../../../agent-gateway/audit/outbox.ts';
import { openDatabase } from '../../../agent-gateway/store/db.ts';

test('the event type list is dotted, unique, and exactly what isEventType accepts', () => {
  assert.equal(new Set(EVENT_TYPES).size, EVENT_TYPES.length);
  for (const t of EVENT_TYPES) {
    assert.match(t, /^[a-z_]+(\.[a-z_]+)+$/);
    assert.equal(isEventType(t), true);
  }
  for (const bad of ['tool.call ', 'TOOL.CALL', 'crash.test', '', 'constructor', 42, null, undefined]) assert.equal(isEventType(bad), false, String(bad));
});

test('the outbox drain appends listed types unchanged and a foreign type as unreadable', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-outbox-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const db = openDatabase(dir, OUTBOX_MIGRATIONS);
  t.after(() => db.close());
  const good: SecurityEvent = { type: 'user.create', actor: 'cli', subject: 'ann', outcome: 'ok', data: { role: 'user' } };
  enqueueAuditEvent(db, good);
  // written by something other than the CLI (the sqlite file is on disk): not a listed type
  db.prepare('INSERT INTO audit_outbox (event, created_at) VALUES (?, ?)').run(JSON.stringify({ type: 'policy.forged', actor: 'admin:root', outcome: 'ok' }), 1);
  const recorded: SecurityEvent[] = [];
  const sink: EventSink = { record: async (e) => { recorded.push(e); } };
  assert.equal(await drainOutbox(db, sink), 2);
  assert.deepEqual(recorded[0], good);
  assert.equal(recorded[1]?.type, 'audit.outbox_unreadable');
  assert.equal(recorded[1]?.actor, 'system');
  assert.equal(db.prepare('SELECT COUNT(*) AS n FROM audit_outbox').get()?.['n'], 0);
});
