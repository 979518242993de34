import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN_PASSWORD, call, createAgent, loginAdmin, startGateway, type TestGateway } from '../support/gateway.ts';

describe('admin auth', () => {
  let gw: TestGateway;
  let clock = Date.now();
  before(async () => {
    gw = await startGateway({ now: () => clock });
  });
  after(() => gw.stop(true));

  test('login returns an opaque Bearer token pair with expires_in 3600', async () => {
    const res = await call(gw.url, 'POST', '/admin/login', { body: { username: 'admin', password: ADMIN_PASSWORD } });
    assert.equal(res.status, 200);
    assert.deepEqual(Object.keys(res.body).sort(), ['expires_in', 'refresh_token', 'token', 'token_type']);
    assert.equal(res.body.token_type, 'Bearer');
    assert.equal(res.body.expires_in, 3600);
    assert.match(res.body.token, /^pal_at_/);
    assert.match(res.body.refresh_token, /^pal_rt_/);
  });

  test('wrong password and unknown user both answer 401 GW_ERR_INVALID_CREDENTIALS', async () => {
    for (const body of [{ username: 'admin', password: 'wrong password!' }, { username: 'ghost', password: 'whatever12345' }]) {
      const res = await call(gw.url, 'POST', '/admin/login', { body });
      assert.equal(res.status, 401);
      assert.equal(res.body.code, 'GW_ERR_INVALID_CREDENTIALS');
    }
  });

  test('login validation: missing fields, wrong types, extra fields, 10,000-char password → 422', async () => {
    for (const body of [
      {}, { username: 'admin' }, { username: 1, password: 'x' }, { username: 'admin', password: ADMIN_PASSWORD, extra: 1 },
      { username: 'admin', password: 'p'.repeat(10_000) }, [], 'admin',
    ]) {
      const res = await call(gw.url, 'POST', '/admin/login', { body });
      assert.equal(res.status, 422, JSON.stringify(body).slice(0, 60));
      assert.equal(res.body.code, 'GW_ERR_VALIDATION');
      assert.ok(Array.isArray(res.body.errors));
    }
  });

  test('unicode and NUL in a username never log in and never reach the user store', async () => {
    for (const username of ['ad\u0000min', 'аdmin', 'admin\u200b']) {
      const res = await call(gw.url, 'POST', '/admin/login', { body: { username, password: ADMIN_PASSWORD } });
      assert.equal(res.status, 401, JSON.stringify(username));
    }
  });

  test('an admin route without a token → 401 with WWW-Authenticate: Bearer realm="palisade"', async () => {
    const res = await call(gw.url, 'GET', '/admin/users');
    assert.equal(res.status, 401);
    assert.equal(res.body.code, 'GW_ERR_UNAUTHENTICATED');
    assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="palisade"');
  });

  test('forged, malformed and refresh tokens used as access tokens → 401 invalid_token', async () => {
    const { refresh } = await loginAdmin(gw.url);
    for (const token of ['pal_at_' + 'A'.repeat(43), 'garbage', refresh, 'pal_ag_' + 'B'.repeat(43)]) {
      const res = await call(gw.url, 'GET', '/admin/users', { token });
      assert.equal(res.status, 401, token.slice(0, 10));
      assert.equal(res.body.code, 'GW_ERR_INVALID_TOKEN');
      assert.match(res.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
    }
    const basic = await call(gw.url, 'GET', '/admin/users', { headers: { authorization: 'Basic YWRtaW46eA==' } });
    assert.equal(basic.status, 401);
  });

  test('an access token expires after 1 h', async () => {
    const { token } = await loginAdmin(gw.url);
    assert.equal((await call(gw.url, 'GET', '/admin/users', { token })).status, 200);
    clock += 3601_000;
    try {
      const res = await call(gw.url, 'GET', '/admin/users', { token });
      assert.equal(res.status, 401);
      assert.equal(res.body.code, 'GW_ERR_INVALID_TOKEN');
    } finally {
      clock -= 3601_000;
    }
  });

  test('refresh rotates: a new pair is issued and the old access token stops working', async () => {
    const first = await loginAdmin(gw.url);
    const res = await call(gw.url, 'POST', '/admin/refresh', { body: { refresh_token: first.refresh } });
    assert.equal(res.status, 200);
    assert.notEqual(res.body.refresh_token, first.refresh);
    assert.notEqual(res.body.token, first.token);
    assert.equal((await call(gw.url, 'GET', '/admin/users', { token: res.body.token })).status, 200);
    assert.equal((await call(gw.url, 'GET', '/admin/users', { token: first.token })).status, 401);
  });

  test('reusing a rotated refresh token → 401 and the whole family is revoked', async () => {
    const first = await loginAdmin(gw.url);
    const second = (await call(gw.url, 'POST', '/admin/refresh', { body: { refresh_token: first.refresh } })).body;
    const third = (await call(gw.url, 'POST', '/admin/refresh', { body: { refresh_token: second.refresh_token } })).body;
    const reuse = await call(gw.url, 'POST', '/admin/refresh', { body: { refresh_token: first.refresh } });
    assert.equal(reuse.status, 401);
    assert.equal(reuse.body.code, 'GW_ERR_INVALID_TOKEN');
    assert.equal((await call(gw.url, 'GET', '/admin/users', { token: third.token })).status, 401);
    assert.equal((await call(gw.url, 'POST', '/admin/refresh', { body: { refresh_token: third.refresh_token } })).status, 401);
  });

  test('a refresh token expires after 7 days', async () => {
    const { refresh } = await loginAdmin(gw.url);
    clock += 7 * 86_400_000 + 1000;
    try {
      assert.equal((await call(gw.url, 'POST', '/admin/refresh', { body: { refresh_token: refresh } })).status, 401);
    } finally {
      clock -= 7 * 86_400_000 + 1000;
    }
  });

  test('POST /admin/revoke revokes another session; logout revokes the caller (204)', async () => {
    const admin = await loginAdmin(gw.url);
    const victim = await loginAdmin(gw.url);
    const res = await call(gw.url, 'POST', '/admin/revoke', { token: admin.token, body: { token: victim.token } });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { revoked: true });
    assert.equal((await call(gw.url, 'GET', '/admin/users', { token: victim.token })).status, 401);
    assert.equal((await call(gw.url, 'POST', '/admin/refresh', { body: { refresh_token: victim.refresh } })).status, 401);
    const out = await call(gw.url, 'POST', '/admin/logout', { token: admin.token });
    assert.equal(out.status, 204);
    assert.equal((await call(gw.url, 'GET', '/admin/users', { token: admin.token })).status, 401);
  });

  test('POST /admin/revoke revokes an agent token too', async () => {
    const { token } = await loginAdmin(gw.url);
    const agent = await createAgent(gw.url, token, 'revoke-me', ['echo']);
    const res = await call(gw.url, 'POST', '/admin/revoke', { token, body: { token: agent } });
    assert.deepEqual(res.body, { revoked: true });
    assert.equal((await call(gw.url, 'GET', '/tools', { token: agent })).status, 401);
  });
});

describe('login rate limit', () => {
  test('per username: the 6th failed attempt in a minute → 429 with Retry-After, before any hashing', async () => {
    const gw = await startGateway();
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) {
        statuses.push((await call(gw.url, 'POST', '/admin/login', { body: { username: 'admin', password: `bad password ${i}` } })).status);
      }
      assert.deepEqual(statuses, [401, 401, 401, 401, 401, 429]);
      const limited = await call(gw.url, 'POST', '/admin/login', { body: { username: 'admin', password: ADMIN_PASSWORD } });
      assert.equal(limited.status, 429);
      assert.equal(limited.body.code, 'GW_ERR_RATE_LIMITED');
      assert.ok(Number(limited.headers.get('retry-after')) >= 1);
      const other = await call(gw.url, 'POST', '/admin/login', { body: { username: 'someone', password: 'bad password!' } });
      assert.equal(other.status, 401, 'another username is not limited by admin\'s failures');
    } finally {
      await gw.stop(true);
    }
  });

  test('per client: more than 20 attempts a minute from one address → 429 whatever the username', async () => {
    const gw = await startGateway();
    try {
      let last = 0;
      for (let i = 0; i < 21; i++) {
        last = (await call(gw.url, 'POST', '/admin/login', { body: { username: `u${i}`, password: 'bad password!' } })).status;
      }
      assert.equal(last, 429);
    } finally {
      await gw.stop(true);
    }
  });
});
