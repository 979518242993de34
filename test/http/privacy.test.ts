/**
 * GDPR export/erase over HTTP: one document with every store for a subject, erase counts per
 * store, audit still verifies after erase (crypto-shredding), and only the admin or the
 * subject themself may act.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { call, createAgent, loginAdmin, startGateway, type TestGateway } from '../support/gateway.ts';
import { startFakeProvider, type FakeProvider } from '../support/fake-provider.ts';

let fake: FakeProvider;
let gw: TestGateway;
let admin: string;
let bob: string;
let eve: string;

const chatWithContext = (token: string) => call(gw.url, 'POST', '/chat/complete', {
  token,
  body: { provider: 'ollama', model: 'llama3', messages: [{ role: 'user', content: 'hello' }], page_context: { url: 'https://news.example/a', fields: { email: 'bob@example.org', password: 'pw-secret-1' } } },
});

before(async () => {
  fake = await startFakeProvider();
  gw = await startGateway({ env: { PALISADE_PROVIDER_ALLOWLIST: fake.origin, PALISADE_OLLAMA_BASE_URL: fake.origin, PALISADE_OPENAI_BASE_URL: fake.origin, PALISADE_ANTHROPIC_BASE_URL: fake.origin, PALISADE_OPENROUTER_BASE_URL: fake.origin } });
  admin = (await loginAdmin(gw.url)).token;
  for (const u of ['bob', 'eve']) {
    const r = await call(gw.url, 'POST', '/admin/users', { token: admin, body: { username: u, password: `${u} password long`, role: 'user' } });
    assert.equal(r.status, 201);
  }
  bob = (await loginAdmin(gw.url, 'bob password long', 'bob')).token;
  eve = (await loginAdmin(gw.url, 'eve password long', 'eve')).token;
});

after(async () => {
  await gw.stop(true);
  await fake.close();
});

describe('privacy export and erase', () => {
  test('the subject exports one document with consent records, chat sessions and their decrypted audit entries', async () => {
    assert.equal((await chatWithContext(bob)).status, 200);
    assert.equal((await chatWithContext(bob)).status, 200);
    const res = await call(gw.url, 'GET', '/privacy/export?subject=bob', { token: bob });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.subject, 'bob');
    const s = res.body.stores;
    assert.equal(s.consent_records.length, 2);
    assert.equal(s.chat_sessions.length, 2);
    assert.deepEqual(s.approvals, []);
    assert.ok(s.audit_entries.some((e: { event?: string; type?: string }) => JSON.stringify(e).includes('chat.complete')));
    assert.ok(s.audit_entries.every((e: unknown) => JSON.stringify(e).includes('bob')), 'entries are decrypted and about bob');
    assert.equal(res.text.includes('pw-secret-1'), false);
  });

  test('a user cannot export or erase another subject (403); an agent token is refused', async () => {
    assert.equal((await call(gw.url, 'GET', '/privacy/export?subject=bob', { token: eve })).status, 403);
    assert.equal((await call(gw.url, 'DELETE', '/privacy/erase?subject=bob', { token: eve })).status, 403);
    const agent = await createAgent(gw.url, admin, 'probe-bot', ['echo']);
    assert.equal((await call(gw.url, 'GET', '/privacy/export?subject=probe-bot', { token: agent })).status, 403);
  });

  test('a missing or repeated subject parameter is a 422', async () => {
    assert.equal((await call(gw.url, 'GET', '/privacy/export', { token: admin })).status, 422);
    assert.equal((await call(gw.url, 'GET', '/privacy/export?subject=a&subject=b', { token: admin })).status, 422);
  });

  test('an admin export of an agent subject includes the approvals and tool calls it requested', async () => {
    const agent = await createAgent(gw.url, admin, 'carol-bot', ['js.eval']);
    const queued = await call(gw.url, 'POST', '/tools/call', { token: agent, body: { tool: 'js.eval', args: { code: 'return 1' } } });
    assert.equal(queued.status, 202, queued.text);
    // typed subject: a bare name means a user (issue 19.5); the agent is agent:<id>
    const res = await call(gw.url, 'GET', '/privacy/export?subject=agent:carol-bot', { token: admin });
    assert.equal(res.status, 200);
    assert.equal(res.body.stores.approvals.length, 1);
    assert.equal(res.body.stores.approvals[0].id, queued.body.approval_id);
    assert.equal(res.body.stores.tool_calls.length, 1);
    const erased = await call(gw.url, 'DELETE', '/privacy/erase?subject=agent:carol-bot', { token: admin });
    assert.equal(erased.status, 200);
    assert.equal(erased.body.erased.approvals, 1);
    assert.equal(erased.body.erased.tool_calls, 1);
    assert.equal((await call(gw.url, 'GET', `/approvals/${queued.body.approval_id}`, { token: admin })).status, 404);
  });

  test('erase reports counts per store, empties the stores, and the audit log still verifies', async () => {
    const before = await call(gw.url, 'GET', '/privacy/export?subject=bob', { token: admin });
    const auditBefore = before.body.stores.audit_entries.length;
    const res = await call(gw.url, 'DELETE', '/privacy/erase?subject=bob', { token: bob });
    assert.equal(res.status, 200, res.text);
    // users and sessions rows are erased too (F11); the erase's own durable 'requested' line,
    // written before anything is removed (audit-or-refuse), is the one extra audit entry
    assert.deepEqual(res.body.erased, { users: 1, sessions: 1, consent_records: 2, chat_sessions: 2, approvals: 0, tool_calls: 0, audit_entries: auditBefore + 1 });
    const verify = await call(gw.url, 'GET', '/admin/audit/verify', { token: admin });
    assert.equal(verify.status, 200);
    assert.equal(verify.body.ok, true, verify.text);
    const after = await call(gw.url, 'GET', '/privacy/export?subject=bob', { token: admin });
    assert.equal(after.body.stores.consent_records.length, 0);
    assert.equal(after.body.stores.chat_sessions.length, 0);
    // only the privacy actions recorded after the erase remain readable
    const types = after.body.stores.audit_entries.map((e: Record<string, unknown>) => e['event'] ?? e['type']);
    assert.ok(types.includes('privacy.erase'));
    assert.ok(types.every((t: unknown) => t === 'privacy.erase' || t === 'privacy.export'), JSON.stringify(types));
    const log = await call(gw.url, 'GET', '/admin/audit?event=chat.complete', { token: admin });
    assert.ok(log.body.entries.length >= 2);
    assert.ok(log.body.entries.every((e: Record<string, unknown>) => e['subject_erased'] === true), 'the chat entries are marked erased');
    assert.equal(log.text.includes('"bob"'), false, 'shredded entries no longer show the subject');
  });
});

describe('typed subjects: an agent and a user with the same name (issue 19.5)', () => {
  test('user bot1 can neither read nor erase agent bot1’s approvals and calls; export/erase cover the users and sessions rows', async () => {
    const agent = await createAgent(gw.url, admin, 'bot1', ['js.eval']);
    const queued = await call(gw.url, 'POST', '/tools/call', { token: agent, body: { tool: 'js.eval', args: { code: 'return "agent-arg-secret"' } } });
    assert.equal(queued.status, 202, queued.text);
    assert.equal((await call(gw.url, 'POST', '/admin/users', { token: admin, body: { username: 'bot1', password: 'bot1 password long', role: 'user' } })).status, 201);
    const user = (await loginAdmin(gw.url, 'bot1 password long', 'bot1')).token;

    const own = await call(gw.url, 'GET', '/privacy/export?subject=bot1', { token: user });
    assert.equal(own.status, 200, own.text);
    assert.deepEqual(own.body.stores.approvals, [], 'the agent’s approvals are not the user’s');
    assert.deepEqual(own.body.stores.tool_calls, [], 'the agent’s calls are not the user’s');
    assert.equal(own.body.subject_kind, 'user');
    assert.equal(own.text.includes(queued.body.approval_id) || own.text.includes('agent-arg-secret'), false);
    assert.deepEqual(own.body.stores.users.map((u: { username: string }) => u.username), ['bot1']);
    assert.ok(own.body.stores.sessions.length >= 1, 'login history is exported');
    assert.equal(/pw_hash|pw_salt|access_hash|refresh_hash/.test(own.text), false, 'no password or token material');
    assert.equal((await call(gw.url, 'GET', '/privacy/export?subject=user:bot1', { token: user })).status, 200, 'user:<name> is the same subject');

    for (const [method, path] of [['GET', '/privacy/export?subject=agent:bot1'], ['DELETE', '/privacy/erase?subject=agent:bot1']] as const) {
      assert.equal((await call(gw.url, method, path, { token: user })).status, 403, `${method} ${path}`);
    }
    for (const bad of ['robot:bot1', 'user:a:b', 'agent:', 'user:']) {
      assert.equal((await call(gw.url, 'GET', `/privacy/export?subject=${encodeURIComponent(bad)}`, { token: admin })).status, 422, bad);
    }

    const erased = await call(gw.url, 'DELETE', '/privacy/erase?subject=bot1', { token: user });
    assert.equal(erased.status, 200, erased.text);
    assert.equal(erased.body.erased.approvals, 0);
    assert.equal(erased.body.erased.tool_calls, 0);
    assert.equal(erased.body.erased.users, 1);
    assert.ok(erased.body.erased.sessions >= 1);
    assert.equal((await call(gw.url, 'GET', '/privacy/export?subject=bot1', { token: user })).status, 401, 'the erased user’s tokens no longer work');

    // the agent's records are untouched
    assert.equal((await call(gw.url, 'GET', `/approvals/${queued.body.approval_id}`, { token: admin })).status, 200);
    const agentExport = await call(gw.url, 'GET', '/privacy/export?subject=agent:bot1', { token: admin });
    assert.equal(agentExport.body.subject, 'agent:bot1');
    assert.equal(agentExport.body.stores.approvals.length, 1);
    assert.equal(agentExport.body.stores.tool_calls.length, 1);
    assert.deepEqual(agentExport.body.stores.users, []);
    const adminView = await call(gw.url, 'GET', '/privacy/export?subject=bot1', { token: admin });
    assert.deepEqual(adminView.body.stores.users, [], 'the users row is gone');
    assert.deepEqual(adminView.body.stores.sessions, [], 'the sessions rows are gone');
  });

  test('the last admin account cannot be erased (409), and nothing is erased', async () => {
    const res = await call(gw.url, 'DELETE', '/privacy/erase?subject=admin', { token: admin });
    assert.equal(res.status, 409, res.text);
    assert.equal((await call(gw.url, 'GET', '/admin/users', { token: admin })).status, 200, 'the admin still works');
  });
});
