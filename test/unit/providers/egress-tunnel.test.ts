/**
 * The egress tunnel (providers/egress/tunnel.ts) on a real unix socket, with the real egress
 * client's decision (createEgress with an injected resolver) and a local origin: an allowlisted
 * CONNECT is piped to the origin, every refusal answers its code and closes, each decision is
 * audited, hostile clients (garbage, a huge head, a slow head, half-open, too many at once) are
 * refused and the tunnel keeps serving.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, existsSync } from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { createEgress, type Egress } from '../../../providers/egress/dispatcher.ts';
import { openTunnel, type EgressTunnel, type TunnelDecision } from '../../../providers/egress/tunnel.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'palisade-tunnel-'));
const socketPath = path.join(dir, 'proxy.sock');
let origin: http.Server;
let port: number;
let egress: Egress;
let tunnel: EgressTunnel;
let auditFails = false;
const decisions: TunnelDecision[] = [];
const NAMES: Record<string, string> = { 'origin.test': '127.0.0.1', 'private.test': '10.1.2.3', 'meta.test': '169.254.169.254' };

before(async () => {
  origin = http.createServer((req, res) => res.end(`origin saw ${req.method} ${req.url}`));
  await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', () => resolve()));
  port = (origin.address() as AddressInfo).port;
  egress = createEgress({
    allowlist: [`http://origin.test:${port}`, `https://private.test:${port}`, 'http://meta.test:80', 'http://169.254.169.254:80'],
    timeoutMs: 5_000, maxResponseBytes: 1 << 20, trustedAddresses: ['127.0.0.1'],
    lookup: async (name) => (NAMES[name] === undefined ? [] : [{ address: NAMES[name]!, family: 4 }]),
  });
  tunnel = await openTunnel({
    socketPath, server: 'fx', policy: egress, maxTunnels: 4, headTimeoutMs: 300,
    audit: async (d) => {
      if (auditFails && d.allowed) throw new Error('audit down');
      decisions.push(d);
    },
  });
});
after(async () => {
  await tunnel?.close();
  await egress?.close();
  origin?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** writes `data`, returns everything the tunnel sent until it closed (or `ms` passed) */
function exchange(data: string | Buffer | undefined, ms = 3_000): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(socketPath);
    const got: Buffer[] = [];
    const timer = setTimeout(() => { s.destroy(); resolve(`${Buffer.concat(got).toString('latin1')}<open>`); }, ms);
    s.on('data', (d) => got.push(d));
    s.on('error', () => undefined);
    s.on('close', () => { clearTimeout(timer); resolve(Buffer.concat(got).toString('latin1')); });
    if (data !== undefined) s.write(data);
  });
}

async function tunnelGet(host: string): Promise<string> {
  return exchange(`CONNECT ${host}:${port} HTTP/1.1\r\nHost: ${host}:${port}\r\n\r\nGET /hello HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
}

test('the socket is connectable by anyone who reaches its folder (the container user)', () => {
  assert.equal(statSync(socketPath).mode & 0o777, 0o666);
});

test('an allowlisted name with a trusted address is tunneled to the checked IP, bytes piped both ways', async () => {
  const text = await tunnelGet('origin.test');
  assert.match(text, /^HTTP\/1\.1 200 Connection Established\r\n\r\nHTTP\/1\.1 200 OK/);
  assert.match(text, /origin saw GET \/hello/);
  assert.deepEqual(decisions.at(-1), { server: 'fx', host: 'origin.test', port, allowed: true });
});

test('refusals: not allowlisted, an IP literal not listed, a private or metadata address, an unresolvable name', async () => {
  const cases: Array<[string, RegExp, string]> = [
    ['other.test', /^HTTP\/1\.1 403 Forbidden\r\nx-palisade-egress: EGR_ERR_DENIED\r\n[^]*EGR_ERR_DENIED: EGRESS_NOT_ALLOWLISTED\n$/, 'EGRESS_NOT_ALLOWLISTED'],
    ['127.0.0.1', /^HTTP\/1\.1 403 [^]*EGRESS_NOT_ALLOWLISTED\n$/, 'EGRESS_NOT_ALLOWLISTED'],
    ['private.test', /^HTTP\/1\.1 403 [^]*EGRESS_ADDRESS\n$/, 'EGRESS_ADDRESS'],
  ];
  for (const [host, want, reason] of cases) {
    const text = await tunnelGet(host);
    assert.match(text, want, host);
    assert.doesNotMatch(text, /origin saw/, host);
    const d = decisions.at(-1)!;
    assert.equal(d.allowed, false, host);
    assert.equal(d.host, host);
    assert.match(d.reason ?? '', new RegExp(`^${reason}`), host);
  }
  // the metadata address is refused even when its origin is listed, by name or as a literal
  for (const host of ['meta.test', '169.254.169.254']) {
    const text = await exchange(`CONNECT ${host}:80 HTTP/1.1\r\n\r\n`);
    assert.match(text, /^HTTP\/1\.1 403 [^]*EGRESS_ADDRESS\n$/, host);
    assert.match(decisions.at(-1)!.reason ?? '', /address class metadata/, host);
  }
  const unknown = await exchange(`CONNECT nowhere.test:${port} HTTP/1.1\r\n\r\n`);
  assert.match(unknown, /^HTTP\/1\.1 403 /, 'not allowlisted before any DNS');
});

test('hostile clients: garbage, absolute-form GET, a huge head, a slow head, a half-open client; the tunnel keeps serving', async () => {
  assert.match(await exchange('\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03'), /^HTTP\/1\.1 400 [^]*TUNNEL_NOT_CONNECT\n$/);
  assert.match(await exchange(`GET http://origin.test:${port}/ HTTP/1.1\r\nHost: origin.test\r\n\r\n`), /^HTTP\/1\.1 400 [^]*TUNNEL_NOT_CONNECT\n$/);
  assert.match(await exchange(`CONNECT origin.test:${port} HTTP/1.1\r\nX: ${'a'.repeat(64 * 1024)}\r\n\r\n`), /^HTTP\/1\.1 431 [^]*TUNNEL_HEAD_TOO_LARGE\n$/);
  assert.match(await exchange('CONNECT origin.test'), /^HTTP\/1\.1 408 [^]*x-palisade-egress: EGR_ERR_TIMEOUT[^]*TUNNEL_HEAD_TIMEOUT\n$/);
  assert.match(await exchange(undefined), /^HTTP\/1\.1 408 /, 'a client that sends nothing');
  // half-open: the client sends part of a head and ends its side
  const half = await new Promise<string>((resolve) => {
    const s = net.connect(socketPath, () => { s.end('CONNECT origin'); });
    const got: Buffer[] = [];
    s.on('data', (d) => got.push(d));
    s.on('error', () => undefined);
    s.on('close', () => resolve(Buffer.concat(got).toString('latin1')));
  });
  assert.doesNotMatch(half, /200 Connection Established/);
  assert.match(await tunnelGet('origin.test'), /origin saw GET \/hello/, 'still serving');
  for (let i = 0; i < 50 && tunnel.open > 0; i += 1) await new Promise((r) => setTimeout(r, 20));
  assert.equal(tunnel.open, 0, 'nothing left open');
});

test('at most maxTunnels at once: the next is refused at once; closing one frees a place', async () => {
  const idle = await Promise.all([0, 1, 2, 3].map(() => new Promise<net.Socket>((resolve) => {
    const s = net.connect(`${socketPath}`, () => resolve(s));
    s.on('error', () => undefined);
  })));
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(tunnel.open, 4);
  assert.match(await exchange(`CONNECT origin.test:${port} HTTP/1.1\r\n\r\n`, 1_000), /^HTTP\/1\.1 503 [^]*TUNNEL_LIMIT\n$/);
  for (const s of idle) s.destroy();
  await new Promise((r) => setTimeout(r, 50));
  assert.match(await tunnelGet('origin.test'), /origin saw GET \/hello/);
});

test('an allowed tunnel whose audit line cannot be written is refused, nothing dialed', async () => {
  auditFails = true;
  try {
    const text = await tunnelGet('origin.test');
    assert.match(text, /^HTTP\/1\.1 503 [^]*AUDIT_UNAVAILABLE\n$/);
    assert.doesNotMatch(text, /origin saw/);
  } finally {
    auditFails = false;
  }
});

test('a closed port behind an allowed destination answers 502 EGR_ERR_NETWORK; close() removes the socket', async () => {
  const spare = net.createServer();
  await new Promise<void>((resolve) => spare.listen(0, '127.0.0.1', () => resolve()));
  const closedPort = (spare.address() as AddressInfo).port;
  await new Promise((r) => spare.close(r));
  const e2 = createEgress({ allowlist: [`http://origin.test:${closedPort}`], timeoutMs: 5_000, maxResponseBytes: 1024, trustedAddresses: ['127.0.0.1'], lookup: async () => [{ address: '127.0.0.1', family: 4 }] });
  const p2 = path.join(dir, 'second.sock');
  const t2 = await openTunnel({ socketPath: p2, server: 'fy', policy: e2, audit: async () => undefined });
  try {
    const text = await new Promise<string>((resolve) => {
      const s = net.connect(p2, () => s.write(`CONNECT origin.test:${closedPort} HTTP/1.1\r\n\r\n`));
      const got: Buffer[] = [];
      s.on('data', (d) => got.push(d));
      s.on('close', () => resolve(Buffer.concat(got).toString('latin1')));
    });
    assert.match(text, /^HTTP\/1\.1 502 [^]*EGR_ERR_NETWORK: ECONNREFUSED\n$/);
  } finally {
    await t2.close();
    await e2.close();
  }
  assert.equal(existsSync(p2), false);
});
