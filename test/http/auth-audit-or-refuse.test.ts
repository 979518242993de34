/**
 * Audit-or-refuse on the auth routes (login, refresh, revoke, logout, setup): with an audit
 * sink that cannot write, each answers 503 GW_ERR_AUDIT_UNAVAILABLE and changes nothing; once
 * the sink works again the same request succeeds.
 */
import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { EventSink } from '../../agent-gateway/events.ts';
import { ADMIN_PASSWORD, call, createAgent, loginAdmin, startGateway, type TestGateway } from '../support/gateway.ts';

let failing = false;
const wrap = (real: EventSink): EventSink => ({
  record: (event) => (failing ? Promise.reject(new Error('disk full (injected)')) : real.record(event)),
});

async function refused(fn: () => Promise<{ status: number; body: any; text: string }>): Promise<void> {
  failing = true;
  try {
    const res = await fn();
    assert.equal(res.status, 503, res.text);
    assert.equal(res.body.code, 'GW_ERR_AUDIT_UNAVAILABLE');
  } finally {
    failing = false;
  }
}

describe('auth routes are audit-or-refuse', () => {
  let gw: TestGateway;
  let admin: string;
  const sessionRows = (): number => {
    const db = new DatabaseSync(join(gw.dataDir, 'palisade.db'));
    try {
      return Number(db.prepare('SELECT COUNT(*) AS n FROM sessions').get()?.['n']);
    } finally {
      db.close();
    }
  };
  before(async () => {
    gw = await startGateway({ wrapEvents: wrap });
    admin = (await loginAdmin(gw.url)).token;
  });
  after(() => gw.stop(true));

  test('login: 503 and no session is issued; a failed login is refused too (not a silent 401)', async () => {
    const n = sessionRows();
    await refused(() => call(gw.url, 'POST', '/admin/login', { body: { username: 'admin', password: ADMIN_PASSWORD } }));
    assert.equal(sessionRows(), n);
    await refused(() => call(gw.url, 'POST', '/admin/login', { body: { username: 'admin', password: 'wrong password!' } }));
  });

  test('logout: 503 and the token keeps working; then logout works', async () => {
    const { token } = await loginAdmin(gw.url);
    await refused(() => call(gw.url, 'POST', '/admin/logout', { token }));
    assert.equal((await call(gw.url, 'GET', '/admin/users', { token })).status, 200, 'not logged out');
    assert.equal((await call(gw.url, 'POST', '/admin/logout', { token })).status, 204);
    assert.equal((await call(gw.url, 'GET', '/admin/users', { token })).status, 401);
  });

  test('revoke (session and agent): 503 and the token keeps working', async () => {
    const { token } = await loginAdmin(gw.url);
    await refused(() => call(gw.url, 'POST', '/admin/revoke', { token: admin, body: { token } }));
    assert.equal((await call(gw.url, 'GET', '/admin/users', { token })).status, 200);
    const agent = await createAgent(gw.url, admin, 'aor-bot', ['echo']);
    await refused(() => call(gw.url, 'POST', '/admin/revoke', { token: admin, body: { token: agent } }));
    assert.equal((await call(gw.url, 'GET', '/tools', { token: agent })).status, 200);
    assert.deepEqual((await call(gw.url, 'POST', '/admin/revoke', { token: admin, body: { token: agent } })).body, { revoked: true });
    assert.equal((await call(gw.url, 'GET', '/tools', { token: agent })).status, 401);
  });

  test('refresh: 503 and the refresh token is not rotated (it still works afterwards)', async () => {
    const { token, refresh } = await loginAdmin(gw.url);
    await refused(() => call(gw.url, 'POST', '/admin/refresh', { body: { refresh_token: refresh } }));
    assert.equal((await call(gw.url, 'GET', '/admin/users', { token })).status, 200, 'the old access token was not rotated away');
    const ok = await call(gw.url, 'POST', '/admin/refresh', { body: { refresh_token: refresh } });
    assert.equal(ok.status, 200, ok.text);
    assert.match(ok.body.token, /^pal_at_/);
  });
});

describe('/admin/setup is audit-or-refuse', () => {
  test('503, no admin created and the setup token is not consumed; then setup works', async (t) => {
    const lines: string[] = [];
    const gw = await startGateway({ wrapEvents: wrap, env: { PALISADE_ADMIN_PASSWORD: '' }, print: (l) => lines.push(l) });
    t.after(() => gw.stop(true));
    const setupToken = /"setup_token":"(pal_su_[A-Za-z0-9_-]{43})"/.exec(lines.join('\n'))?.[1];
    assert.ok(setupToken, lines.join('\n'));
    const body = { setup_token: setupToken, username: 'owner', password: 'owner password 123' };
    await refused(() => call(gw.url, 'POST', '/admin/setup', { body }));
    assert.equal((await call(gw.url, 'POST', '/admin/login', { body: { username: 'owner', password: body.password } })).status, 401, 'no admin was created');
    const ok = await call(gw.url, 'POST', '/admin/setup', { body });
    assert.equal(ok.status, 201, ok.text);
    assert.equal((await call(gw.url, 'POST', '/admin/login', { body: { username: 'owner', password: body.password } })).status, 200);
  });
});
