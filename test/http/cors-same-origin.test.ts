/**
 * The console is served by the gateway, and Chromium sends Origin on its module scripts and
 * POSTs: an Origin of exactly http://<the checked Host> is the gateway's own page and passes
 * (without CORS headers). Every other Origin is still refused, and a rebinding Host never
 * gets that far (the Host check runs first).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { decideCors } from '../../agent-gateway/http/cors.ts';
import { call, startGateway, type TestGateway } from '../support/gateway.ts';

describe('decideCors: same origin', () => {
  test('http://<Host> passes without an allow-origin header; case of the host does not matter', () => {
    assert.deepEqual(decideCors('http://127.0.0.1:8080', [], '127.0.0.1:8080'), { ok: true, allowOrigin: undefined });
    assert.deepEqual(decideCors('http://localhost:8080', [], 'LOCALHOST:8080'), { ok: true, allowOrigin: undefined });
  });
  test('anything else is refused: other port, https, other host, null, userinfo, a path, no Host', () => {
    for (const [origin, host] of [
      ['http://127.0.0.1:8081', '127.0.0.1:8080'],
      ['https://127.0.0.1:8080', '127.0.0.1:8080'],
      ['http://localhost:8080', '127.0.0.1:8080'],
      ['null', '127.0.0.1:8080'],
      ['http://evil@127.0.0.1:8080', '127.0.0.1:8080'],
      ['http://127.0.0.1:8080/', '127.0.0.1:8080'],
      ['http://127.0.0.1:8080', undefined],
      ['http://', ''],
    ] as const) {
      assert.deepEqual(decideCors(origin, [], host), { ok: false }, `${origin} with Host ${String(host)}`);
    }
  });
  test('configured origins keep their exact allow-origin header', () => {
    assert.deepEqual(decideCors('chrome-extension://abc', ['chrome-extension://abc'], '127.0.0.1:8080'), { ok: true, allowOrigin: 'chrome-extension://abc' });
  });
});

describe('same-origin requests against a real gateway', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startGateway();
  });
  after(async () => {
    await gw?.stop(true);
  });

  test('the console origin reaches POST /admin/login; a foreign origin does not; a rebinding Host is refused first', async () => {
    const own = await call(gw.url, 'POST', '/admin/login', { headers: { origin: gw.url }, body: { username: 'admin', password: 'wrong password here' } });
    assert.equal(own.status, 401, 'reaches the route (bad password), not 403');
    assert.equal(own.headers.get('access-control-allow-origin'), null);
    const foreign = await call(gw.url, 'POST', '/admin/login', { headers: { origin: 'http://127.0.0.1:1' }, body: { username: 'admin', password: 'x' } });
    assert.equal(foreign.status, 403);
    assert.equal(foreign.body.code, 'GW_ERR_ORIGIN_NOT_ALLOWED');
    // fetch cannot set Host; node:http can (a DNS-rebinding page: Host and Origin agree)
    const rebound = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: gw.port, path: '/health', headers: { origin: 'http://evil.example', host: 'evil.example' } }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(rebound.status, 403);
    assert.equal(JSON.parse(rebound.body).code, 'GW_ERR_HOST_NOT_ALLOWED');
  });
});
