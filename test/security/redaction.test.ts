import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { ingestPageContext } from '../../agent-gateway/privacy/ingest.ts';
import { PRIVACY_MIGRATIONS } from '../../agent-gateway/privacy/schema.ts';
import { ConsentStore, RedactionRuleStore } from '../../agent-gateway/privacy/stores.ts';
import { openDatabase } from '../../agent-gateway/store/db.ts';
import { collect } from '../../providers/adapters/adapter.ts';
import { anthropicAdapter } from '../../providers/adapters/anthropic.ts';
import { ollamaAdapter } from '../../providers/adapters/ollama.ts';
import { openaiAdapter } from '../../providers/adapters/openai.ts';
import { createEgress, type Egress } from '../../providers/egress/dispatcher.ts';
import { startFakeProvider, type FakeProvider } from '../support/fake-provider.ts';

let fake: FakeProvider;
let egress: Egress;
let dir: string;
let db: DatabaseSync;
let stores: { rules: RedactionRuleStore; consent: ConsentStore };
before(async () => {
  fake = await startFakeProvider();
  egress = createEgress({ allowlist: [fake.origin], timeoutMs: 20_000, maxResponseBytes: 1 << 20 });
  // the gateway's own stores: the per-origin rule is stored as an admin would (PUT /admin/redaction-rules)
  dir = mkdtempSync(join(tmpdir(), 'palisade-redaction-'));
  db = openDatabase(dir, PRIVACY_MIGRATIONS);
  stores = { rules: new RedactionRuleStore(db), consent: new ConsentStore(db) };
  const put = stores.rules.put('https://shop.example', { fields: ['customer_ref'], patterns: ['CUST-\\d+'] }, 'admin:test');
  assert.ok(put.ok);
});
after(async () => {
  await egress.close();
  await fake.close();
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const SECRETS = ['hunter2-PASSWORD', '4111 1111 1111 1111', '4111111111111111', 'CUST-77881', 'sk-proj-LEAKLEAKLEAKLEAK1234', 'textarea-pw-9'];

const pageContext = {
  url: 'https://shop.example/checkout?session=abc#frag',
  fields: { email: 'ada@example.org', password: 'hunter2-PASSWORD', customer_ref: 'CUST-77881', card: '4111 1111 1111 1111', notes: 'my key is sk-proj-LEAKLEAKLEAKLEAK1234' },
  html: '<form><input type="password" name="pw" value="hunter2-PASSWORD"><input name="cc" value="4111111111111111"><input name="customer_ref" value="CUST-77881"><textarea name="password2">textarea-pw-9</textarea><input name="city" value="Lyon"></form>',
};

for (const [name, make] of [
  ['openai', (e: Egress) => openaiAdapter(e, fake.origin, { maxLineChars: 1 << 16 })],
  ['anthropic', (e: Egress) => anthropicAdapter(e, fake.origin, { maxLineChars: 1 << 16 })],
  ['ollama', (e: Egress) => ollamaAdapter(e, fake.origin, { maxLineChars: 1 << 16 })],
] as const) {
  test(`${name}: a password input, a card number and a rule-matched field never reach the provider (through ingestPageContext)`, async () => {
    // the gateway's one ingestion point: parse, redact with the origin's STORED rule, consent record, message
    const ingested = ingestPageContext(pageContext, stores, { subject: 'user:ada', provider: name });
    assert.ok(ingested.ok);
    assert.ok(ingested.redaction.redactedFields.includes('customer_ref'), 'the stored per-origin rule was applied');
    const messages = [ingested.message, { role: 'user' as const, content: 'what is in my cart?' }];
    const before = fake.received.length;
    const result = await collect(make(egress).stream({ model: 'm', messages }, { key: 'k' }), 'm');
    assert.equal(result.content, 'Hello world');
    assert.equal(fake.received.length, before + 1);
    const received = fake.received.at(-1)?.body ?? '';
    // the non-secret context did arrive, so the assertion below is about redaction, not absence
    assert.ok(received.includes('ada@example.org') && received.includes('Lyon'));
    for (const secret of SECRETS) assert.ok(!received.includes(secret), `provider received ${secret}`);
    assert.ok(!received.includes('#frag'));
  });
}
