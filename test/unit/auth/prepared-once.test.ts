/**
 * Issue 12 item 2: the stores on request paths prepare each statement once, not per call.
 * The real sqlite database runs; only `prepare` is counted (the counter wraps the real method).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { openDatabase } from '../../../agent-gateway/store/db.ts';
import { MIGRATIONS } from '../../../agent-gateway/migrations.ts';
import { AgentStore } from '../../../agent-gateway/auth/agents.ts';
import { DeviceStore } from '../../../agent-gateway/auth/devices.ts';
import { PolicyStore } from '../../../agent-gateway/policy/store.ts';
import { KillSwitchStore } from '../../../agent-gateway/policy/kill-switch.ts';
import { validatePolicy } from '../../../agent-gateway/policy/validate.ts';

function counted(t: { after: (fn: () => void) => void }): { db: DatabaseSync; prepares: () => number } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'palisade-prep-'));
  const db = openDatabase(dir, MIGRATIONS);
  t.after(() => {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  let n = 0;
  const real = db.prepare.bind(db);
  db.prepare = ((sql: string) => {
    n++;
    return real(sql);
  }) as typeof db.prepare;
  return { db, prepares: () => n };
}

test('device, kill-switch, policy and agent admin paths prepare each statement once across repeated calls', (t) => {
  const { db, prepares } = counted(t);
  const devices = new DeviceStore(db);
  const kill = new KillSwitchStore(db);
  const policy = new PolicyStore(db);
  const agents = new AgentStore(db);
  const doc = validatePolicy({ rules: [] });
  assert.ok(doc.ok);
  const round = (i: number): void => {
    const token = devices.issue('alice', 1000 + i);
    assert.equal(devices.check(token, 'alice', 1001 + i), devices.check(token, 'alice', 1001 + i));
    kill.activate(`r${String(i)}`, 'admin:a');
    kill.deactivate('admin:a');
    policy.put(doc.doc, 'admin:a');
    policy.nextVersion();
    policy.history(5);
    const made = agents.create(`ag${String(i)}`, ['echo'], 60, 'admin:a', 1000);
    assert.ok(made);
    agents.list();
    assert.equal(agents.idByToken(made.token), `ag${String(i)}`);
    assert.equal(agents.deleteByToken(made.token), `ag${String(i)}`);
  };
  round(0);
  const afterFirst = prepares();
  for (let i = 1; i < 20; i++) round(i);
  assert.equal(prepares(), afterFirst, 'no statement is prepared again after the first round');
});

test('agent scope: one row read, undefined once expired or deleted, the stored globs otherwise', (t) => {
  const { db, prepares } = counted(t);
  const agents = new AgentStore(db);
  const made = agents.create('a1', ['echo', 'fs.*'], 10, 'admin:a', 1000);
  assert.ok(made);
  agents.create('a2', ['other'], 10, 'admin:a', 1000);
  const before = prepares();
  assert.deepEqual(agents.scopeOf('a1', 5000), ['echo', 'fs.*']);
  assert.deepEqual(agents.scopeOf('a2', 5000), ['other']);
  assert.equal(agents.scopeOf('a1', 11_000), undefined, 'expired at created + ttl');
  assert.equal(agents.scopeOf('nobody', 5000), undefined);
  assert.equal(prepares(), before, 'scope reads use the statement prepared at store creation');
  agents.delete('a1');
  assert.equal(agents.scopeOf('a1', 5000), undefined, 'a deleted agent has no scope');
});
