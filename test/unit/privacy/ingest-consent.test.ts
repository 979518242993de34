/** ingestPageContext (privacy/ingest.ts): the consent record carries the chat session when there is one, and null when not. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ingestPageContext } from '../../../agent-gateway/privacy/ingest.ts';
import { PRIVACY_MIGRATIONS } from '../../../agent-gateway/privacy/schema.ts';
import { ConsentStore, RedactionRuleStore } from '../../../agent-gateway/privacy/stores.ts';
import { openDatabase } from '../../../agent-gateway/store/db.ts';

test('the consent record names the chat session of the share, or none', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-ingest-'));
  const db = openDatabase(dir, PRIVACY_MIGRATIONS);
  t.after(() => { db.close(); rmSync(dir, { recursive: true, force: true }); });
  const stores = { rules: new RedactionRuleStore(db), consent: new ConsentStore(db, { now: () => 9 }) };
  const ctx = { url: 'https://a.example/p', fields: { city: 'Lyon' } };
  const withSession = ingestPageContext(ctx, stores, { subject: 'user:ann', provider: 'openai', sessionId: 's-7' });
  const without = ingestPageContext(ctx, stores, { subject: 'user:ann', provider: 'anthropic' });
  assert.ok(withSession.ok && without.ok);
  const records = stores.consent.exportSubject('user:ann');
  assert.deepEqual(records.map((r) => [r.provider, r.sessionId, r.origin]), [['openai', 's-7', 'https://a.example'], ['anthropic', null, 'https://a.example']]);
});
