import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../../../agent-gateway/store/db.ts';
import { POLICY_MIGRATIONS } from '../../../agent-gateway/policy/schema.ts';
import { PolicyStore } from '../../../agent-gateway/policy/store.ts';
import { KillSwitchStore, killSwitchGate, parseKillSwitchBody } from '../../../agent-gateway/policy/kill-switch.ts';
import { validatePolicy, policyToJson } from '../../../agent-gateway/policy/validate.ts';

function tmp(t: { after: (fn: () => void) => void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'palisade-policy-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}
function valid(rules: unknown[]) {
  const r = validatePolicy({ rules });
  assert.ok(r.ok);
  return r.doc;
}

test('policy store starts at version 0 with no rules, then versions every put with actor and time', (t) => {
  const dir = tmp(t);
  let now = 1000;
  const db = openDatabase(dir, POLICY_MIGRATIONS);
  t.after(() => db.close());
  const store = new PolicyStore(db, { now: () => now });
  assert.deepEqual(store.get(), { version: 0, doc: { rules: [] }, actor: 'system', updated_at: 0 });
  const v1 = store.put(valid([{ id: 'a', effect: 'deny', agents: ['*'], tools: ['*'] }]), 'admin:alice');
  now = 2000;
  const v2 = store.put(valid([{ id: 'b', effect: 'allow', agents: ['x'], tools: ['y'], when: { arg: 'n', min: 1 } }]), 'admin:bob');
  assert.deepEqual([v1, v2], [1, 2]);
  const cur = store.get();
  assert.equal(cur.version, 2);
  assert.equal(cur.actor, 'admin:bob');
  assert.equal(cur.updated_at, 2000);
  assert.equal(cur.doc.rules[0]?.id, 'b');
  assert.deepEqual(store.history(), [
    { version: 2, actor: 'admin:bob', created_at: 2000 },
    { version: 1, actor: 'admin:alice', created_at: 1000 },
  ]);
});

test('policy store keeps the current document across a restart', (t) => {
  const dir = tmp(t);
  const doc = valid([{ id: 're', effect: 'require_approval', agents: ['*'], tools: ['js.*'], when: [{ arg: 'code', regex: 'fetch' }] }]);
  const db1 = openDatabase(dir, POLICY_MIGRATIONS);
  new PolicyStore(db1).put(doc, 'admin:alice');
  db1.close();
  const db2 = openDatabase(dir, POLICY_MIGRATIONS);
  t.after(() => db2.close());
  const got = new PolicyStore(db2).get();
  assert.equal(got.version, 1);
  assert.deepEqual(policyToJson(got.doc), policyToJson(doc));
});

test('policy store refuses to serve a stored document that no longer validates', (t) => {
  const dir = tmp(t);
  const db = openDatabase(dir, POLICY_MIGRATIONS);
  t.after(() => db.close());
  db.prepare('INSERT INTO policy_versions (doc, actor, created_at) VALUES (?, ?, ?)').run('{"rules":[{"id":"x","effect":"maybe","agents":["*"],"tools":["*"]}]}', 'admin:x', 1);
  assert.throws(() => new PolicyStore(db).get(), /invalid/);
});

test('kill switch is off by default, activates with reason and actor, and survives a restart', (t) => {
  const dir = tmp(t);
  const db1 = openDatabase(dir, POLICY_MIGRATIONS);
  const ks1 = new KillSwitchStore(db1, { now: () => 5000 });
  assert.deepEqual(ks1.state(), { active: false, reason: null, actor: null, since: null });
  assert.deepEqual(killSwitchGate(ks1.state()), { ok: true });
  assert.deepEqual(ks1.activate('incident 42', 'admin:alice'), { active: true, reason: 'incident 42', actor: 'admin:alice', since: 5000 });
  db1.close();

  const db2 = openDatabase(dir, POLICY_MIGRATIONS);
  t.after(() => db2.close());
  const ks2 = new KillSwitchStore(db2, { now: () => 9000 });
  assert.deepEqual(ks2.state(), { active: true, reason: 'incident 42', actor: 'admin:alice', since: 5000 });
  assert.deepEqual(killSwitchGate(ks2.state()), { ok: false, code: 'GW_ERR_KILL_SWITCH' });
  assert.deepEqual(ks2.deactivate('admin:bob'), { active: false, reason: null, actor: 'admin:bob', since: 9000 });
  assert.deepEqual(new KillSwitchStore(db2).state(), { active: false, reason: null, actor: 'admin:bob', since: 9000 });
});

test('kill switch body needs exactly a non-empty reason of at most 512 characters', () => {
  assert.deepEqual(parseKillSwitchBody({ reason: 'stop' }), { ok: true, reason: 'stop' });
  for (const bad of [null, [], {}, { reason: '' }, { reason: '   ' }, { reason: 1 }, { reason: 'x'.repeat(513) }, { reason: 'x', extra: 1 }]) {
    assert.equal(parseKillSwitchBody(bad).ok, false, JSON.stringify(bad));
  }
});
