import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { openDatabase } from '../../../agent-gateway/store/db.ts';
import { PRIVACY_MIGRATIONS } from '../../../agent-gateway/privacy/schema.ts';
import { ChatSessionStore, ConsentStore, RedactionRuleStore } from '../../../agent-gateway/privacy/stores.ts';
import { parsePageContext, redactPageContext } from '../../../agent-gateway/privacy/redaction.ts';

let dir: string;
let db: DatabaseSync;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'palisade-privacy-'));
  db = openDatabase(dir, PRIVACY_MIGRATIONS);
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

test('redaction rules are stored under the normalized origin and survive a reopen', () => {
  const rules = new RedactionRuleStore(db);
  const put = rules.put('HTTPS://Shop.Example:443/any/path', { fields: ['ref'], patterns: ['\\d{6}'] }, 'admin:root');
  assert.deepEqual(put, { ok: true, origin: 'https://shop.example', rule: { fields: ['ref'], patterns: ['\\d{6}'] } });
  db.close();
  db = openDatabase(dir, PRIVACY_MIGRATIONS);
  const again = new RedactionRuleStore(db);
  assert.deepEqual(again.get('https://shop.example')?.rule, { fields: ['ref'], patterns: ['\\d{6}'] });
  assert.equal(again.list().length, 1);
  assert.ok(again.compiledFor('https://shop.example')?.fields.has('ref'));
});

test('an invalid rule or origin is refused and nothing is stored', () => {
  const rules = new RedactionRuleStore(db);
  const out = rules.put('file:///x', { fields: ['a'], patterns: ['(a)\\1'] }, 'admin:root');
  assert.equal(out.ok, false);
  if (!out.ok) assert.equal(out.problems.length, 2);
  assert.deepEqual(rules.list(), []);
});

test('deleting a rule takes effect for the compiled-rule cache too', () => {
  const rules = new RedactionRuleStore(db);
  rules.put('https://a.example', { fields: ['x'], patterns: [] }, 'admin:root');
  assert.ok(rules.compiledFor('https://a.example'));
  assert.equal(rules.delete('https://a.example/'), true);
  assert.equal(rules.compiledFor('https://a.example'), undefined);
  assert.equal(rules.delete('https://a.example'), false);
});

test('a stored rule is applied to page context redaction through compiledFor', () => {
  const rules = new RedactionRuleStore(db);
  rules.put('https://shop.example', { fields: ['ref'], patterns: [] }, 'admin:root');
  const parsed = parsePageContext({ url: 'https://shop.example/cart', fields: { ref: 'R-1', city: 'Oslo' } });
  assert.ok(parsed.ok);
  const out = redactPageContext(parsed, rules.compiledFor(parsed.origin));
  assert.deepEqual(out.redactedFields, ['ref']);
  assert.deepEqual(out.sharedFields, ['city']);
});

test('consent records and chat sessions are exported and erased per subject only', () => {
  const consent = new ConsentStore(db, { now: () => 1000 });
  const sessions = new ChatSessionStore(db, { now: () => 2000 });
  const s1 = sessions.create({ subject: 'user:ada', provider: 'openai', model: 'gpt-4o-mini' });
  sessions.create({ subject: 'user:bob', provider: 'ollama', model: 'llama3' });
  assert.equal(sessions.touch(s1, { addMessages: 2, summary: 'asked about cart' }), true);
  consent.record({ subject: 'user:ada', origin: 'https://shop.example', fieldsShared: ['city'], fieldsRedacted: ['password'], provider: 'openai', sessionId: s1 });
  consent.record({ subject: 'user:bob', origin: 'https://b.example', fieldsShared: [], fieldsRedacted: [], provider: 'ollama' });

  assert.deepEqual(consent.exportSubject('user:ada'), [
    { id: 1, subject: 'user:ada', origin: 'https://shop.example', fieldsShared: ['city'], fieldsRedacted: ['password'], provider: 'openai', sessionId: s1, createdAt: 1000 },
  ]);
  const exported = sessions.exportSubject('user:ada');
  assert.equal(exported.length, 1);
  assert.equal(exported[0]?.messageCount, 2);
  assert.equal(exported[0]?.summary, 'asked about cart');

  assert.equal(consent.eraseSubject('user:ada'), 1);
  assert.equal(sessions.eraseSubject('user:ada'), 1);
  assert.deepEqual(consent.exportSubject('user:ada'), []);
  assert.deepEqual(sessions.exportSubject('user:ada'), []);
  assert.equal(consent.exportSubject('user:bob').length, 1);
  assert.equal(sessions.exportSubject('user:bob').length, 1);
  assert.equal(consent.eraseSubject('user:ada'), 0);
});

test('ingestPageContext redacts with the stored rule and records consent with field names only', async () => {
  const { ingestPageContext } = await import('../../../agent-gateway/privacy/ingest.ts');
  const rules = new RedactionRuleStore(db);
  const consent = new ConsentStore(db, { now: () => 5 });
  rules.put('https://shop.example', { fields: ['ref'], patterns: [] }, 'admin:root');
  const out = ingestPageContext(
    { url: 'https://shop.example/x', fields: { ref: 'R-42', password: 'pw-secret-1', city: 'Oslo' } },
    { rules, consent },
    { subject: 'user:ada', provider: 'openai', sessionId: 's-1' },
  );
  assert.ok(out.ok);
  if (!out.ok) return;
  assert.ok(!out.message.content.includes('R-42') && !out.message.content.includes('pw-secret-1') && out.message.content.includes('Oslo'));
  const records = consent.exportSubject('user:ada');
  assert.equal(records.length, 1);
  assert.deepEqual(records[0]?.fieldsShared, ['city']);
  assert.deepEqual(records[0]?.fieldsRedacted.sort(), ['password', 'ref']);
  assert.ok(!JSON.stringify(records).includes('R-42') && !JSON.stringify(records).includes('Oslo'));
  const bad = ingestPageContext({ url: 'ftp://x', fields: {} }, { rules, consent }, { subject: 'user:ada', provider: 'openai' });
  assert.equal(bad.ok, false);
  assert.equal(consent.exportSubject('user:ada').length, 1, 'a refused context writes no consent record');
});

test('a rule stored before RE2 whose pattern no longer compiles fails closed (fields kept, every value masked)', () => {
  db.prepare('INSERT INTO redaction_rules (origin, rule_json, updated_at, updated_by) VALUES (?, ?, ?, ?)')
    .run('https://old.example', JSON.stringify({ fields: ['acct'], patterns: ['(?<=ref:)\\d+'] }), 0, 'admin:root');
  const rules = new RedactionRuleStore(db);
  const compiled = rules.compiledFor('https://old.example');
  assert.ok(compiled?.fields.has('acct'));
  assert.equal(compiled?.failClosed, true);
  const parsed = parsePageContext({ url: 'https://old.example/', fields: { note: 'ref:123456', city: 'Lyon' } });
  assert.ok(parsed.ok);
  const out = redactPageContext(parsed, compiled);
  assert.deepEqual(out.context.fields, { note: '[REDACTED]', city: '[REDACTED]' });
});
