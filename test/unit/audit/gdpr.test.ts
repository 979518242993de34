import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { openAudit, AUDIT_MIGRATIONS } from '../../../agent-gateway/audit/index.ts';
import { loadAuditKeyring } from '../../../agent-gateway/audit/keys.ts';
import { decryptLine, parseLine } from '../../../agent-gateway/audit/line.ts';
import { createSubjectKeyStore, openForSubject, sealForSubject } from '../../../agent-gateway/audit/subjects.ts';
import { openDatabase } from '../../../agent-gateway/store/db.ts';
import { capturingLogger, logPath, readLines, tempDataDir } from '../../support/audit-fixtures.ts';

async function seeded(t: { after(fn: () => void | Promise<void>): void }) {
  const dataDir = tempDataDir(t);
  const db = openDatabase(dataDir, [...AUDIT_MIGRATIONS]);
  t.after(() => db.close());
  const audit = openAudit({ dataDir, db, logger: capturingLogger() });
  t.after(() => audit.close());
  await audit.log.append({ type: 'chat.complete', actor: 'user:alice@example.com', outcome: 'ok', subject: 'alice@example.com', data: { model: 'm1', pii: { email: 'alice@example.com', ip: '10.1.2.3' } } });
  await audit.log.append({ type: 'auth.login', actor: 'user:bob', outcome: 'ok', subject: 'bob@example.com' });
  await audit.log.append({ type: 'privacy.consent', actor: 'user:alice', outcome: 'ok', subject: 'alice@example.com', data: { granted: true } });
  await audit.log.append({ type: 'policy.update', actor: 'admin:root', outcome: 'ok' });
  return { dataDir, audit };
}

test('the subject, data.pii and a subject-named actor are sealed under the subject key: the audit key alone does not reveal them', async (t) => {
  const { dataDir } = await seeded(t);
  const keys = loadAuditKeyring({ dataDir, logger: capturingLogger() }).keys;
  const first = parseLine(readLines(logPath(dataDir))[0] ?? '');
  assert.ok(first.ok);
  const dec = decryptLine(first.line, keys);
  assert.ok(dec.ok);
  assert.doesNotMatch(dec.payload, /alice|10\.1\.2\.3/);
  assert.match(dec.payload, /"model":"m1"/);
  assert.match(dec.payload, /"a":"user:\[erased\]"/);
});

test('export returns exactly that subject\'s entries, decrypted with their personal data', async (t) => {
  const { audit } = await seeded(t);
  const entries = await audit.exportSubject('alice@example.com');
  assert.deepEqual(entries.map((e) => e.seq), [1, 3]);
  assert.equal(entries[0]?.subject, 'alice@example.com');
  assert.equal(entries[0]?.actor, 'user:alice@example.com');
  assert.deepEqual(entries[0]?.data, { model: 'm1', pii: { email: 'alice@example.com', ip: '10.1.2.3' } });
  assert.deepEqual(await audit.exportSubject('nobody@example.com'), []);
});

test('erase crypto-shreds the subject: counts its entries, hides subject and pii, and the log still verifies', async (t) => {
  const { audit, dataDir } = await seeded(t);
  const before = readFileSync(logPath(dataDir));
  assert.deepEqual(await audit.eraseSubject('alice@example.com'), { audit_entries: 2 });
  assert.deepEqual(readFileSync(logPath(dataDir)), before, 'erase must not rewrite the append-only log');
  const entries = await audit.read({ limit: 10 });
  const first = entries[0];
  assert.equal(first?.subject, undefined);
  assert.equal(first?.subject_erased, true);
  assert.equal(first?.actor, 'user:[erased]');
  assert.deepEqual(first?.data, { model: 'm1' });
  assert.equal(entries[1]?.subject, 'bob@example.com');
  assert.deepEqual(await audit.exportSubject('alice@example.com'), []);
  const result = await audit.verify();
  assert.equal(result.ok, true);
  assert.equal(result.entries, 4);
});

test('an erased subject\'s later events get a fresh key and are readable again', async (t) => {
  const { audit } = await seeded(t);
  await audit.eraseSubject('alice@example.com');
  await audit.log.append({ type: 'auth.login', actor: 'user:alice', outcome: 'ok', subject: 'alice@example.com' });
  assert.deepEqual((await audit.exportSubject('alice@example.com')).map((e) => e.seq), [5]);
});

test('without a database, an event with a subject is refused rather than stored unshreddable', async (t) => {
  const dataDir = tempDataDir(t);
  const audit = openAudit({ dataDir, logger: capturingLogger() });
  t.after(() => audit.close());
  await assert.rejects(audit.log.append({ type: 'x', actor: 'y', outcome: 'ok', subject: 's' }), { code: 'AUDIT_ERR_EVENT_INVALID' });
});

test('the subject key Buffer is reused while sqlite holds the same bytes, and an erase through another connection is seen at the next line', async (t) => {
  const dataDir = tempDataDir(t);
  const db = openDatabase(dataDir, [...AUDIT_MIGRATIONS]);
  t.after(() => db.close());
  const subjects = createSubjectKeyStore(db);
  const a = subjects.keyFor('carol@example.com');
  const b = subjects.keyFor('carol@example.com');
  assert.equal(a.key, b.key, 'one Buffer object, so its KeyObject is imported once');
  // another process (the CLI) erases the subject through its own connection
  const other = openDatabase(dataDir, [...AUDIT_MIGRATIONS]);
  other.prepare('DELETE FROM audit_subject_keys WHERE subject_hash = ?').run(a.hash);
  other.close();
  assert.equal(subjects.keyByHash(a.hash), null, 'the erased key is not served from memory');
  const c = subjects.keyFor('carol@example.com');
  assert.equal(c.hash, a.hash);
  assert.equal(c.key.equals(a.key), false, 'a new key is made after the erase');
  const sealed = sealForSubject(c.key, c.hash, 'after erase');
  assert.equal(openForSubject(a.key, a.hash, sealed), null, 'the erased key does not open what is sealed after');
  assert.equal(openForSubject(c.key, c.hash, sealed), 'after erase');
});
