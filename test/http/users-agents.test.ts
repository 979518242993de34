import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN_PASSWORD, call, createAgent, loginAdmin, startGateway, type TestGateway } from '../support/gateway.ts';

describe('users and agents', () => {
  let gw: TestGateway;
  let admin: string;
  before(async () => {
    gw = await startGateway();
    admin = (await loginAdmin(gw.url)).token;
  });
  after(() => gw.stop(true));

  test('creates a user (201), lists it, and refuses a duplicate with 409', async () => {
    const body = { username: 'alice', password: 'alice password 1', role: 'user' };
    const res = await call(gw.url, 'POST', '/admin/users', { token: admin, body });
    assert.equal(res.status, 201);
    assert.deepEqual(res.body, { username: 'alice', role: 'user' });
    const dup = await call(gw.url, 'POST', '/admin/users', { token: admin, body });
    assert.equal(dup.status, 409);
    assert.equal(dup.body.code, 'GW_ERR_CONFLICT');
    const list = await call(gw.url, 'GET', '/admin/users', { token: admin });
    assert.deepEqual(list.body.users.map((u: { username: string }) => u.username), ['admin', 'alice']);
    assert.ok(!JSON.stringify(list.body).includes('hash'), 'no password material in the listing');
  });

  test('user creation validation: bad role, short password, unicode/NUL username, extra field → 422', async () => {
    for (const body of [
      { username: 'bob', password: 'long enough pw', role: 'root' },
      { username: 'bob', password: 'short', role: 'user' },
      { username: 'bób', password: 'long enough pw', role: 'user' },
      { username: 'bo\u0000b', password: 'long enough pw', role: 'user' },
      { username: 'bob', password: 'long enough pw', role: 'user', admin: true },
      { username: 'bob', password: 'x'.repeat(10_000), role: 'user' },
    ]) {
      const res = await call(gw.url, 'POST', '/admin/users', { token: admin, body });
      assert.equal(res.status, 422, JSON.stringify(body).slice(0, 60));
    }
  });

  test('a user token reaches no admin route (403) and is not an agent token', async () => {
    await call(gw.url, 'POST', '/admin/users', { token: admin, body: { username: 'carol', password: 'carol password', role: 'user' } });
    const { token } = await loginAdmin(gw.url, 'carol password', 'carol');
    for (const [method, path] of [['GET', '/admin/users'], ['GET', '/admin/agents'], ['POST', '/admin/revoke']] as const) {
      const res = await call(gw.url, method, path, { token, body: method === 'POST' ? { token: 'x' } : undefined });
      assert.equal(res.status, 403, path);
      assert.equal(res.body.code, 'GW_ERR_FORBIDDEN');
    }
  });

  test('changing a password revokes that user\'s sessions; the new password works', async () => {
    await call(gw.url, 'POST', '/admin/users', { token: admin, body: { username: 'dave', password: 'dave password 1', role: 'admin' } });
    const dave = await loginAdmin(gw.url, 'dave password 1', 'dave');
    const res = await call(gw.url, 'POST', '/admin/users/dave/password', { token: admin, body: { password: 'dave password 2' } });
    assert.equal(res.status, 200);
    assert.equal(res.body.sessions_revoked, 1);
    assert.equal((await call(gw.url, 'GET', '/admin/users', { token: dave.token })).status, 401);
    assert.equal((await call(gw.url, 'POST', '/admin/refresh', { body: { refresh_token: dave.refresh } })).status, 401);
    await loginAdmin(gw.url, 'dave password 2', 'dave');
  });

  test('deleting a user revokes their sessions; unknown user → 404; the last admin cannot be deleted (409)', async () => {
    await call(gw.url, 'POST', '/admin/users', { token: admin, body: { username: 'erin', password: 'erin password 1', role: 'admin' } });
    const erin = await loginAdmin(gw.url, 'erin password 1', 'erin');
    assert.equal((await call(gw.url, 'DELETE', '/admin/users/erin', { token: admin })).status, 204);
    assert.equal((await call(gw.url, 'GET', '/admin/users', { token: erin.token })).status, 401);
    assert.equal((await call(gw.url, 'DELETE', '/admin/users/erin', { token: admin })).status, 404);
    assert.equal((await call(gw.url, 'DELETE', '/admin/users/dave', { token: admin })).status, 204);
    const last = await call(gw.url, 'DELETE', '/admin/users/admin', { token: admin });
    assert.equal(last.status, 409);
  });

  test('POST /admin/agents issues a scoped token (201 {agent_id, token, expires_at}); GET lists without tokens', async () => {
    const res = await call(gw.url, 'POST', '/admin/agents', { token: admin, body: { agent_id: 'build-bot', tools: ['echo', 'text.*'], ttl_seconds: 600 } });
    assert.equal(res.status, 201);
    assert.deepEqual(Object.keys(res.body).sort(), ['agent_id', 'expires_at', 'token']);
    assert.match(res.body.token, /^pal_ag_/);
    const ttl = Date.parse(res.body.expires_at) - Date.now();
    assert.ok(ttl > 590_000 && ttl <= 600_000, String(ttl));
    const list = await call(gw.url, 'GET', '/admin/agents', { token: admin });
    const entry = list.body.agents.find((a: { agent_id: string }) => a.agent_id === 'build-bot');
    assert.deepEqual(entry.tools, ['echo', 'text.*']);
    assert.ok(!JSON.stringify(list.body).includes(res.body.token));
    const dup = await call(gw.url, 'POST', '/admin/agents', { token: admin, body: { agent_id: 'build-bot', tools: [] } });
    assert.equal(dup.status, 409);
  });

  test('agent creation validation → 422 (bad id, bad glob, ttl out of range, extra field)', async () => {
    for (const body of [
      { agent_id: 'bad id', tools: ['echo'] },
      { agent_id: 'ok', tools: ['ec ho'] },
      { agent_id: 'ok', tools: ['echo'], ttl_seconds: 1 },
      { agent_id: 'ok', tools: ['echo'], scope: 'all' },
      { agent_id: 'ok', tools: 'echo' },
    ]) {
      assert.equal((await call(gw.url, 'POST', '/admin/agents', { token: admin, body })).status, 422, JSON.stringify(body));
    }
  });

  test('an agent token cannot use admin routes (403); an admin token is not an agent token', async () => {
    const agent = await createAgent(gw.url, admin, 'scoped', ['echo']);
    const res = await call(gw.url, 'GET', '/admin/users', { token: agent });
    assert.equal(res.status, 403);
    assert.equal((await call(gw.url, 'POST', '/admin/logout', { token: agent })).status, 403);
  });

  test('DELETE /admin/agents/:id revokes the agent (204), then 404', async () => {
    await createAgent(gw.url, admin, 'short-lived', ['echo']);
    assert.equal((await call(gw.url, 'DELETE', '/admin/agents/short-lived', { token: admin })).status, 204);
    assert.equal((await call(gw.url, 'DELETE', '/admin/agents/short-lived', { token: admin })).status, 404);
  });
});

describe('first start', () => {
  test('without PALISADE_ADMIN_PASSWORD a one-time setup token is printed and consumed once by POST /admin/setup', async () => {
    const lines: string[] = [];
    const gw = await startGateway({ env: { PALISADE_ADMIN_PASSWORD: '' }, print: (l) => lines.push(l) });
    try {
      const token = /pal_su_[A-Za-z0-9_-]{43}/.exec(lines.join('\n'))?.[0];
      assert.ok(token, 'a setup token was printed');
      const login = await call(gw.url, 'POST', '/admin/login', { body: { username: 'admin', password: ADMIN_PASSWORD } });
      assert.equal(login.status, 401, 'there is no default password');
      const wrong = await call(gw.url, 'POST', '/admin/setup', { body: { setup_token: 'pal_su_' + 'x'.repeat(43), username: 'root', password: 'root password 1' } });
      assert.equal(wrong.status, 401);
      const ok = await call(gw.url, 'POST', '/admin/setup', { body: { setup_token: token, username: 'root', password: 'root password 1' } });
      assert.equal(ok.status, 201);
      const again = await call(gw.url, 'POST', '/admin/setup', { body: { setup_token: token, username: 'root2', password: 'root password 2' } });
      assert.equal(again.status, 409);
      await loginAdmin(gw.url, 'root password 1', 'root');
    } finally {
      await gw.stop(true);
    }
  });
});
