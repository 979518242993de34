import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { call, loginAdmin, startGateway, type TestGateway } from '../support/gateway.ts';

function rawRequest(port: number, method: string, path: string, headers: Record<string, string>, body?: string):
  Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers, setHost: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

describe('HTTP hardening', () => {
  let gw: TestGateway;
  let admin: string;
  before(async () => {
    gw = await startGateway({ env: { PALISADE_CORS_ORIGINS: 'chrome-extension://abcdefghijklmnopabcdefghijklmnop' } });
    admin = (await loginAdmin(gw.url)).token;
  });
  after(() => gw.stop(true));

  test('GET /health answers 200 {status:"ok"} with a request id and helmet headers', async () => {
    const res = await call(gw.url, 'GET', '/health');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { status: 'ok' });
    assert.match(res.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(res.headers.get('x-powered-by'), null);
  });

  test('rejects a Host header naming another site with 403 GW_ERR_HOST_NOT_ALLOWED (DNS rebinding)', async () => {
    for (const host of ['evil.example', `evil.example:${gw.port}`, '127.0.0.1:1', 'localhost', '']) {
      const res = await rawRequest(gw.port, 'GET', '/health', { Host: host });
      assert.equal(res.status, 403, host);
      assert.equal(JSON.parse(res.body).code, 'GW_ERR_HOST_NOT_ALLOWED');
      assert.match(String(res.headers['content-type']), /application\/problem\+json/);
    }
  });

  test('accepts localhost, 127.0.0.1 and [::1] with the listening port', async () => {
    for (const host of [`localhost:${gw.port}`, `127.0.0.1:${gw.port}`, `[::1]:${gw.port}`, `LOCALHOST:${gw.port}`]) {
      const res = await rawRequest(gw.port, 'GET', '/health', { Host: host });
      assert.equal(res.status, 200, host);
    }
  });

  test('CORS: a configured extension origin gets an exact ACAO and Vary: Origin; preflight answers 204', async () => {
    const origin = 'chrome-extension://abcdefghijklmnopabcdefghijklmnop';
    const res = await call(gw.url, 'GET', '/health', { headers: { origin } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('access-control-allow-origin'), origin);
    assert.match(res.headers.get('vary') ?? '', /Origin/);
    const pre = await call(gw.url, 'OPTIONS', '/chat/complete', {
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-origin'), origin);
    assert.match(pre.headers.get('access-control-allow-headers') ?? '', /Authorization/);
  });

  test('CORS: an origin that is not configured is refused with 403 and never gets ACAO or *', async () => {
    for (const origin of ['https://evil.example', 'chrome-extension://other', 'null']) {
      const res = await call(gw.url, 'GET', '/health', { headers: { origin } });
      assert.equal(res.status, 403, origin);
      assert.equal(res.body.code, 'GW_ERR_ORIGIN_NOT_ALLOWED');
      assert.equal(res.headers.get('access-control-allow-origin'), null);
    }
  });

  test('malformed JSON → 400 GW_ERR_BAD_JSON problem+json without a stack', async () => {
    const res = await call(gw.url, 'POST', '/admin/login', { raw: '{"username": "admin", ' });
    assert.equal(res.status, 400);
    assert.equal(res.body.code, 'GW_ERR_BAD_JSON');
    assert.match(res.headers.get('content-type') ?? '', /application\/problem\+json/);
    for (const k of ['type', 'title', 'status', 'detail', 'code', 'request_id']) assert.ok(k in res.body, k);
    assert.doesNotMatch(res.text, /at .*\.ts:\d+|node_modules|SyntaxError/);
  });

  test('a non-JSON content type → 415', async () => {
    const res = await call(gw.url, 'POST', '/admin/login', {
      raw: 'username=admin&password=x', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(res.status, 415);
    assert.equal(res.body.code, 'GW_ERR_UNSUPPORTED_MEDIA_TYPE');
  });

  test('a body over 256 KiB → 413 GW_ERR_BODY_TOO_LARGE, declared or streamed', async () => {
    const big = JSON.stringify({ username: 'admin', password: 'x'.repeat(300 * 1024) });
    const res = await call(gw.url, 'POST', '/admin/login', { raw: big });
    assert.equal(res.status, 413);
    assert.equal(res.body.code, 'GW_ERR_BODY_TOO_LARGE');
    const chunked = await rawRequest(gw.port, 'POST', '/admin/login', {
      Host: `127.0.0.1:${gw.port}`, 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked',
    }, big);
    assert.equal(chunked.status, 413);
  });

  test('prototype-polluting keys are rejected with 422 GW_ERR_FORBIDDEN_KEY', async () => {
    for (const raw of [
      '{"username":"admin","password":"x","__proto__":{"admin":true}}',
      '{"username":"admin","password":"x","nested":{"constructor":{"prototype":{}}}}',
    ]) {
      const res = await call(gw.url, 'POST', '/admin/login', { raw });
      assert.equal(res.status, 422);
      assert.equal(res.body.code, 'GW_ERR_FORBIDDEN_KEY');
    }
    assert.equal(({} as Record<string, unknown>)['admin'], undefined);
  });

  test('unknown routes → 404 problem+json', async () => {
    const res = await call(gw.url, 'GET', '/nope', { token: admin });
    assert.equal(res.status, 404);
    assert.equal(res.body.code, 'GW_ERR_NOT_FOUND');
  });

  test('a deeply nested JSON body is handled without crashing the gateway', async () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    const res = await call(gw.url, 'POST', '/admin/login', { raw: deep });
    assert.ok(res.status === 422 || res.status === 400, String(res.status));
    assert.equal((await call(gw.url, 'GET', '/health')).status, 200);
  });
});

describe('header hygiene (issue 19 item 12)', () => {
  let gw: TestGateway;
  let admin: string;
  before(async () => {
    gw = await startGateway();
    admin = (await loginAdmin(gw.url)).token;
  });
  after(() => gw.stop(true));

  test('no HSTS on plain-http localhost; the JSON CSP is exactly default-src none + frame-ancestors none', async () => {
    for (const path of ['/health', '/no-such-route']) {
      const res = await call(gw.url, 'GET', path);
      assert.equal(res.headers.get('strict-transport-security'), null, path);
      assert.equal(res.headers.get('content-security-policy'), "default-src 'none'; frame-ancestors 'none'", path);
    }
  });

  test('a route can replace the CSP with its own (the console page does)', async (t) => {
    const express = (await import('express')).default;
    const { securityHeaders } = await import('../../agent-gateway/http/security-headers.ts');
    const app = express();
    app.use(securityHeaders());
    app.get('/page', (_req, res) => {
      res.setHeader('Content-Security-Policy', "default-src 'none'; script-src 'self'");
      res.send('<!doctype html>');
    });
    app.get('/json', (_req, res) => res.json({}));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    t.after(() => new Promise<void>((r) => server.close(() => r())));
    const port = (server.address() as { port: number }).port;
    assert.equal((await fetch(`http://127.0.0.1:${port}/page`)).headers.get('content-security-policy'), "default-src 'none'; script-src 'self'");
    assert.equal((await fetch(`http://127.0.0.1:${port}/json`)).headers.get('content-security-policy'), "default-src 'none'; frame-ancestors 'none'");
  });

  test('agent ids: no ":" and no capitals (actor strings stay unambiguous); a plain id is accepted', async () => {
    for (const agent_id of ['bot:admin', 'x:y', 'Bot1', 'ADMIN', '-lead', 'a'.repeat(65)]) {
      const res = await call(gw.url, 'POST', '/admin/agents', { token: admin, body: { agent_id, tools: ['echo'] } });
      assert.equal(res.status, 422, agent_id);
      assert.equal(res.body.code, 'GW_ERR_VALIDATION');
    }
    const ok = await call(gw.url, 'POST', '/admin/agents', { token: admin, body: { agent_id: 'build-bot.v2_1', tools: ['echo'] } });
    assert.equal(ok.status, 201, ok.text);
  });

  test('a malformed percent-encoding in the path → 400 GW_ERR_BAD_PATH (not GW_ERR_BAD_JSON), with or without a route parameter', async () => {
    for (const path of ['/approvals/%E0%A4%A', '/approvals/%zz', '/%E0%A4%A', '/admin/agents/%C0', '/approvals/%00x']) {
      const res = await rawRequest(gw.port, 'GET', path, { Host: `127.0.0.1:${gw.port}`, Authorization: `Bearer ${admin}` });
      assert.equal(res.status, 400, path);
      assert.equal(JSON.parse(res.body).code, 'GW_ERR_BAD_PATH', path);
      assert.match(String(res.headers['content-type']), /application\/problem\+json/);
    }
    const fine = await call(gw.url, 'GET', '/approvals/apr_%41', { token: admin });
    assert.equal(fine.status, 404, 'a well-formed escape is decoded and routed normally');
  });
});
