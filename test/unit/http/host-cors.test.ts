// The Host check (DNS rebinding) and the CORS decision: the pure functions on hostile inputs,
// and the two middlewares in a real express app on port 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { GatewayError } from '../../../agent-gateway/errors.ts';
import { hostCheck, isAllowedHost } from '../../../agent-gateway/http/host-check.ts';
import { cors, decideCors } from '../../../agent-gateway/http/cors.ts';

test('isAllowedHost: loopback names and the listen host with the exact port; nothing else', () => {
  for (const h of ['localhost:8080', '127.0.0.1:8080', '[::1]:8080', 'LOCALHOST:8080', '10.1.2.3:8080']) {
    assert.equal(isAllowedHost(h, '10.1.2.3', 8080, []), true, h);
  }
  for (const h of [undefined, '', 'localhost', 'localhost:8081', 'localhost:80800', 'evil.example:8080', 'localhost.evil:8080',
    '127.0.0.1', '::1:8080', '10.1.2.3', `${'a'.repeat(300)}:8080`, 'localhost:8080 ', ' localhost:8080']) {
    assert.equal(isAllowedHost(h, '10.1.2.3', 8080, []), false, String(h));
  }
  assert.equal(isAllowedHost('[fd00::1]:9000', 'fd00::1', 9000, []), true, 'an IPv6 listen host is compared bracketed');
  assert.equal(isAllowedHost('[fd00::1]:9000', '[fd00::1]', 9000, []), true, 'already bracketed stays as is');
  assert.equal(isAllowedHost('fd00::1:9000', 'fd00::1', 9000, []), false);
  assert.equal(isAllowedHost('localhost', '127.0.0.1', 80, []), true, 'port 80 may be left out');
  assert.equal(isAllowedHost('[::1]', '127.0.0.1', 80, []), true);
  assert.equal(isAllowedHost('localhost', '127.0.0.1', 81, []), false);
  assert.equal(isAllowedHost('gw.internal:443', '127.0.0.1', 8080, ['gw.internal:443']), true, 'configured extra host');
  assert.equal(isAllowedHost('GW.internal:443', '127.0.0.1', 8080, ['gw.internal:443']), true, 'compared lower-cased');
  assert.equal(isAllowedHost('gw.internal', '127.0.0.1', 8080, ['gw.internal:443']), false);
  assert.equal(isAllowedHost('', '127.0.0.1', 8080, ['']), false, 'an empty Host is refused even against an empty extra entry');
  const max = `${'a'.repeat(295)}:8080`; // exactly 300 characters
  assert.equal(max.length, 300);
  assert.equal(isAllowedHost(max, '127.0.0.1', 8080, [max]), true, '300 characters is still read');
  assert.equal(isAllowedHost(`a${max}`, '127.0.0.1', 8080, [`a${max}`]), false, 'over 300 is refused before any comparison');
});

test('decideCors: no Origin passes; the gateway\'s own page passes without headers; only exact configured origins get them', () => {
  const allowed = ['http://app.local:3000'];
  assert.deepEqual(decideCors(undefined, allowed), { ok: true, allowOrigin: undefined });
  assert.deepEqual(decideCors('http://127.0.0.1:8080', allowed, '127.0.0.1:8080'), { ok: true, allowOrigin: undefined });
  assert.deepEqual(decideCors('HTTP://LOCALHOST:8080', allowed, 'localhost:8080'), { ok: true, allowOrigin: undefined });
  assert.deepEqual(decideCors('http://app.local:3000', allowed, '127.0.0.1:8080'), { ok: true, allowOrigin: 'http://app.local:3000' });
  for (const o of ['http://app.local:3001', 'https://app.local:3000', 'http://APP.local:3000', 'null', '*', '', 'http://127.0.0.1:8080']) {
    assert.deepEqual(decideCors(o, allowed, 'localhost:8080'), { ok: false }, o);
  }
  assert.deepEqual(decideCors('http://', allowed, ''), { ok: false }, 'an empty Host is not the gateway\'s page');
  assert.deepEqual(decideCors('http://127.0.0.1:8080', allowed), { ok: false }, 'no Host: no own-page pass');
  assert.deepEqual(decideCors('https://127.0.0.1:8080', allowed, '127.0.0.1:8080'), { ok: false }, 'own page is http:// only');
});

async function serve(t: { after: (fn: () => Promise<void>) => void }, allowedOrigins: readonly string[], extraHosts: readonly string[] = []) {
  const app = express();
  const server = http.createServer(app);
  app.use((req, res, next) => hostCheck('127.0.0.1', extraHosts)(req, res, next));
  app.use(cors(allowedOrigins));
  app.all('/x', (_req, res) => { res.status(200).send('ok'); });
  app.use((err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(err instanceof GatewayError ? err.status : 500).json({ code: err instanceof GatewayError ? err.code : 'other', detail: err instanceof GatewayError ? err.detail : '' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.address() as AddressInfo).port;
}

function request(port: number, method: string, headers: Record<string, string>): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const r = http.request({ host: '127.0.0.1', port, path: '/x', method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    r.on('error', reject);
    r.end();
  });
}

test('hostCheck middleware: a foreign Host is refused with GW_ERR_HOST_NOT_ALLOWED; the local port is the one the request came in on', async (t) => {
  const port = await serve(t, []);
  const ok = await request(port, 'GET', { host: `127.0.0.1:${port}` });
  assert.equal(ok.status, 200);
  const bad = await request(port, 'GET', { host: `evil.example:${port}` });
  assert.equal(bad.status, 403);
  assert.deepEqual(JSON.parse(bad.body), { code: 'GW_ERR_HOST_NOT_ALLOWED', detail: 'The Host header does not name this gateway.' });
  assert.equal((await request(port, 'GET', { host: `localhost:${port + 1}` })).status, 403);
});

test('cors middleware: Vary Origin always; headers only for a configured origin; its preflight is answered 204; others 403', async (t) => {
  const origin = 'http://app.local:3000';
  const port = await serve(t, [origin]);
  const host = `127.0.0.1:${port}`;
  const plain = await request(port, 'GET', { host });
  assert.equal(plain.status, 200);
  assert.match(String(plain.headers['vary']), /Origin/);
  assert.equal(plain.headers['access-control-allow-origin'], undefined);
  const own = await request(port, 'POST', { host, origin: `http://${host}` });
  assert.equal(own.status, 200);
  assert.equal(own.headers['access-control-allow-origin'], undefined, 'own page: no CORS headers');
  const allowed = await request(port, 'GET', { host, origin });
  assert.equal(allowed.status, 200);
  assert.equal(allowed.headers['access-control-allow-origin'], origin);
  assert.equal(allowed.headers['access-control-expose-headers'], 'X-Request-Id, Retry-After, WWW-Authenticate');
  assert.equal(allowed.headers['access-control-allow-methods'], undefined, 'methods only on a preflight');
  const pre = await request(port, 'OPTIONS', { host, origin });
  assert.equal(pre.status, 204);
  assert.equal(pre.headers['access-control-allow-origin'], origin);
  assert.equal(pre.headers['access-control-allow-methods'], 'GET, POST, PUT, DELETE');
  assert.equal(pre.headers['access-control-allow-headers'], 'Authorization, Content-Type, X-Palisade-Provider, Mcp-Protocol-Version, Mcp-Method, Mcp-Name, Last-Event-ID');
  assert.equal(pre.headers['access-control-max-age'], '600');
  const foreignPre = await request(port, 'OPTIONS', { host, origin: 'http://evil.example' });
  assert.equal(foreignPre.status, 403);
  assert.equal(JSON.parse(foreignPre.body).code, 'GW_ERR_ORIGIN_NOT_ALLOWED');
  assert.equal(foreignPre.headers['access-control-allow-origin'], undefined);
  assert.match(String(foreignPre.headers['vary']), /Origin/);
  const foreign = await request(port, 'POST', { host, origin: 'http://evil.example' });
  assert.deepEqual(JSON.parse(foreign.body), { code: 'GW_ERR_ORIGIN_NOT_ALLOWED', detail: 'This Origin is not configured in PALISADE_CORS_ORIGINS.' });
});

test('hostCheck middleware: a request on a socket without a port (a unix socket) matches no host:port, not even localhost:80', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'palisade-host-'));
  const socketPath = path.join(dir, 'gw.sock');
  const app = express();
  app.use(hostCheck('127.0.0.1', []));
  app.get('/x', (_req, res) => { res.status(200).send('ok'); });
  app.use((err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(err instanceof GatewayError ? err.status : 500).send(err instanceof GatewayError ? err.code : 'other');
  });
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => { fs.rmSync(dir, { recursive: true, force: true }); resolve(); })));
  const get = (host: string) => new Promise<string>((resolve, reject) => {
    const r = http.request({ socketPath, path: '/x', headers: { host } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve(`${res.statusCode} ${body}`));
    });
    r.on('error', reject);
    r.end();
  });
  for (const host of ['localhost', 'localhost:80', 'localhost:1', '127.0.0.1:0']) assert.equal(await get(host), '403 GW_ERR_HOST_NOT_ALLOWED', host);
});
