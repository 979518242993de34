/**
 * Login throttling (issue 19 item 10, issue 18 item 8): the whole loopback range is one client;
 * throttled attempts do no PBKDF2 work; the owner, holding the device token of an earlier
 * login, still logs in while any local process hammers the admin account.
 */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { describe, test } from 'node:test';
import { pbkdf2Derivations } from '../../agent-gateway/auth/password.ts';
import { LoginThrottle, decideAdmission } from '../../agent-gateway/auth/throttle.ts';
import { clientIdentity } from '../../agent-gateway/http/rate-limit.ts';
import { ADMIN_PASSWORD, startGateway, type TestGateway } from '../support/gateway.ts';

interface LoginResult { status: number; body: any; setCookie: string[] }

/** POST /admin/login from a chosen loopback source address (any local process can bind one). */
function loginFrom(gw: TestGateway, from: string, body: Record<string, unknown>, cookie?: string): Promise<LoginResult> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = httpRequest({
      host: '127.0.0.1', port: gw.port, path: '/admin/login', method: 'POST', localAddress: from,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...(cookie === undefined ? {} : { cookie }) },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => (text += c)).on('end', () => {
        resolve({ status: res.statusCode ?? 0, body: text === '' ? undefined : JSON.parse(text), setCookie: [res.headers['set-cookie'] ?? []].flat() });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

const deviceCookieOf = (r: LoginResult): string => {
  const c = r.setCookie.find((h) => h.startsWith('palisade_device='));
  assert.ok(c, `a device cookie is set: ${JSON.stringify(r.setCookie)}`);
  assert.match(c, /HttpOnly/);
  assert.match(c, /SameSite=Strict/);
  return c.split(';', 1)[0] as string;
};

describe('per-client limit over the loopback range', () => {
  test('failures from 127.0.0.2, 127.0.0.3 … share one client budget: the 21st source is already limited', async (t) => {
    const gw = await startGateway();
    t.after(() => gw.stop(true));
    const statuses: number[] = [];
    for (let i = 2; i < 22; i++) statuses.push((await loginFrom(gw, `127.0.0.${i}`, { username: `u${i}`, password: 'bad password!' })).status);
    assert.deepEqual(statuses, Array(20).fill(401), 'distinct usernames: only the client budget is spent');
    const fresh = await loginFrom(gw, '127.0.0.99', { username: 'someone-new', password: 'bad password!' });
    assert.equal(fresh.status, 429, 'a new loopback source address is the same client');
    assert.equal(fresh.body.code, 'GW_ERR_RATE_LIMITED');
  });

  test('clientIdentity: 127.0.0.0/8, ::1 and the IPv4-mapped forms are one client; others stay apart', () => {
    for (const a of ['127.0.0.1', '127.0.0.2', '127.255.255.254', '::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.5', '::FFFF:127.1.2.3', '::ffff:7f00:1']) {
      assert.equal(clientIdentity(a), 'loopback', a);
    }
    assert.equal(clientIdentity('::ffff:10.0.0.1'), '10.0.0.1');
    assert.equal(clientIdentity('10.0.0.1'), '10.0.0.1');
    assert.notEqual(clientIdentity('10.0.0.2'), clientIdentity('10.0.0.1'));
    assert.equal(clientIdentity('2001:db8::1'), clientIdentity('2001:db8::2'), 'IPv6 is keyed by prefix');
  });
});

describe('throttled attempts cost no PBKDF2 work; the owner keeps a way in', () => {
  test('under attack: 429s do no hash; the owner with their device cookie logs in (one hash); without it they wait like everyone', async (t) => {
    const gw = await startGateway();
    t.after(() => gw.stop(true));
    // the owner logged in earlier from their browser/CLI and kept the device cookie
    const first = await loginFrom(gw, '127.0.0.1', { username: 'admin', password: ADMIN_PASSWORD });
    assert.equal(first.status, 200);
    const cookie = deviceCookieOf(first);

    // a local attacker: wrong passwords for admin from many loopback addresses, then many usernames
    for (let i = 0; i < 5; i++) assert.equal((await loginFrom(gw, `127.0.1.${i + 1}`, { username: 'admin', password: `guess ${i} xxxx` })).status, 401);
    for (let i = 0; i < 15; i++) assert.equal((await loginFrom(gw, `127.0.2.${i + 1}`, { username: `x${i}`, password: 'guess xxxx' })).status, 401);
    const before = pbkdf2Derivations();
    for (let i = 0; i < 30; i++) {
      const r = await loginFrom(gw, `127.0.3.${i + 1}`, { username: i % 2 === 0 ? 'admin' : `y${i}`, password: i === 7 ? ADMIN_PASSWORD : 'guess xxxx' });
      assert.equal(r.status, 429, `attempt ${i}`);
    }
    assert.equal(pbkdf2Derivations(), before, 'no PBKDF2 work for 30 throttled attempts (one of them with the right password)');

    // the owner without the cookie (a new client) is throttled like the attacker …
    assert.equal((await loginFrom(gw, '127.0.0.1', { username: 'admin', password: ADMIN_PASSWORD })).status, 429);
    assert.equal(pbkdf2Derivations(), before);
    // … with it, the correct password is admitted at the cost of exactly one hash
    const owner = await loginFrom(gw, '127.0.0.1', { username: 'admin', password: ADMIN_PASSWORD }, cookie);
    assert.equal(owner.status, 200, JSON.stringify(owner.body));
    assert.match(owner.body.token, /^pal_at_/);
    assert.equal(pbkdf2Derivations(), before + 1);
    // the token also works in the body (non-browser clients)
    const viaBody = await loginFrom(gw, '127.0.0.1', { username: 'admin', password: ADMIN_PASSWORD, device_token: cookie.split('=')[1] });
    assert.equal(viaBody.status, 200);
  });

  test('a device token is limited by its own bucket, is bound to its username, and forged ones are untrusted', async (t) => {
    const gw = await startGateway();
    t.after(() => gw.stop(true));
    const cookie = deviceCookieOf(await loginFrom(gw, '127.0.0.1', { username: 'admin', password: ADMIN_PASSWORD }));
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await loginFrom(gw, '127.0.0.1', { username: 'admin', password: `stolen cookie ${i}` }, cookie)).status);
    assert.deepEqual(statuses, [401, 401, 401, 401, 401, 429], 'a stolen device cookie buys 5 guesses per window, no more');
    // the untrusted buckets were not touched by the device's failures: a normal login still works
    assert.equal((await loginFrom(gw, '127.0.0.1', { username: 'admin', password: ADMIN_PASSWORD })).status, 200);
    // for another username the admin's device token counts as untrusted
    for (let i = 0; i < 5; i++) await loginFrom(gw, '127.0.0.1', { username: 'bob', password: 'bad password!' });
    assert.equal((await loginFrom(gw, '127.0.0.1', { username: 'bob', password: 'bad password!' }, cookie)).status, 429);
    assert.equal((await loginFrom(gw, '127.0.0.1', { username: 'bob', password: 'x', device_token: `pal_dv_${'A'.repeat(43)}` })).status, 429);
  });
});

test('LoginThrottle: admission counts in every bucket at once, refunds successes, and names the exhausted bucket', () => {
  let now = 1_000_000;
  const t = new LoginThrottle(60, () => now);
  const buckets = [{ key: 'user:a', limit: 2 }, { key: 'client:loopback', limit: 3 }];
  const a1 = t.admit(buckets);
  const a2 = t.admit(buckets);
  assert.ok(a1.ok && a2.ok);
  const a3 = t.admit(buckets);
  assert.deepEqual(a3, { ok: false, key: 'user:a', retryAfterSeconds: 60 });
  t.refund(a2.ok ? a2.keys : []);
  assert.ok(t.admit(buckets).ok, 'a refunded success frees its slot');
  assert.ok(t.admit([{ key: 'user:b', limit: 5 }, { key: 'client:loopback', limit: 3 }]).ok);
  const shared = t.admit([{ key: 'user:c', limit: 5 }, { key: 'client:loopback', limit: 3 }]);
  assert.equal(shared.ok ? '' : shared.key, 'client:loopback', 'the client bucket is shared by every username');
  now += 60_000;
  assert.ok(t.admit(buckets).ok, 'a new window');
  assert.deepEqual(decideAdmission([{ key: 'k', limit: 1 }], new Map([['k', { count: 1, resetAt: now + 1500 }]]), now), { ok: false, key: 'k', retryAfterSeconds: 2 });
});
