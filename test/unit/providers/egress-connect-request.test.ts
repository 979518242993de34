/**
 * The egress tunnel's pure parts (providers/egress/connect-request.ts): the CONNECT head, the
 * policy target a CONNECT stands for, the refusal text.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_HEAD_BYTES, parseConnectLine, policyTarget, readConnectHead, refusalResponse } from '../../../providers/egress/connect-request.ts';

test('parseConnectLine accepts CONNECT host:port HTTP/1.x with a name, an IPv4 or a bracketed IPv6', () => {
  assert.deepEqual(parseConnectLine('CONNECT api.example.com:443 HTTP/1.1'), { ok: true, target: { host: 'api.example.com', port: 443 } });
  assert.deepEqual(parseConnectLine('CONNECT 10.0.0.1:8080 HTTP/1.0'), { ok: true, target: { host: '10.0.0.1', port: 8080 } });
  assert.deepEqual(parseConnectLine('CONNECT [::1]:80 HTTP/1.1'), { ok: true, target: { host: '::1', port: 80 } });
  assert.deepEqual(parseConnectLine('CONNECT a_b.local:1 HTTP/1.1'), { ok: true, target: { host: 'a_b.local', port: 1 } });
});

test('parseConnectLine refuses other methods, absolute-form requests, odd authorities and ports', () => {
  const cases: Array<[string, string]> = [
    ['GET http://example.com/ HTTP/1.1', 'TUNNEL_NOT_CONNECT'],
    ['POST / HTTP/1.1', 'TUNNEL_NOT_CONNECT'],
    ['connect example.com:443 HTTP/1.1', 'TUNNEL_NOT_CONNECT'],
    ['CONNECT example.com HTTP/1.1', 'TUNNEL_BAD_REQUEST'],
    ['CONNECT example.com:0 HTTP/1.1', 'TUNNEL_BAD_REQUEST'],
    ['CONNECT example.com:65536 HTTP/1.1', 'TUNNEL_BAD_REQUEST'],
    ['CONNECT example.com:0443 HTTP/1.1', 'TUNNEL_BAD_REQUEST'],
    ['CONNECT example.com:443x HTTP/1.1', 'TUNNEL_BAD_REQUEST'],
    ['CONNECT user@example.com:443 HTTP/1.1', 'TUNNEL_BAD_REQUEST'],
    ['CONNECT example.com/x:443 HTTP/1.1', 'TUNNEL_BAD_REQUEST'],
    ['CONNECT http://example.com:443 HTTP/1.1', 'TUNNEL_BAD_REQUEST'],
    ['CONNECT ::1:443 HTTP/1.1', 'TUNNEL_BAD_REQUEST'],
    ['CONNECT [::1]]:443 HTTP/1.1', 'TUNNEL_BAD_REQUEST'],
    ['CONNECT -x.com:443 HTTP/1.1', 'TUNNEL_BAD_REQUEST'],
    ['CONNECT example.com:443 HTTP/2', 'TUNNEL_BAD_REQUEST'],
    ['CONNECT  example.com:443 HTTP/1.1', 'TUNNEL_BAD_REQUEST'],
    ['CONNECT example.com:443 HTTP/1.1 extra', 'TUNNEL_BAD_REQUEST'],
    ['CONNECT exa\u0000mple.com:443 HTTP/1.1', 'TUNNEL_BAD_REQUEST'],
    ['CONNECT exämple.com:443 HTTP/1.1', 'TUNNEL_BAD_REQUEST'],
    [`CONNECT ${'a'.repeat(254)}:443 HTTP/1.1`, 'TUNNEL_BAD_REQUEST'],
  ];
  for (const [line, reason] of cases) assert.deepEqual(parseConnectLine(line), { ok: false, reason }, line);
});

test('readConnectHead waits for the empty line, keeps what follows it, refuses a head over the cap or not a CONNECT early', () => {
  assert.deepEqual(readConnectHead(Buffer.from('CONNECT a.com:443 HTTP/1.1\r\nHost: a.com')), { state: 'incomplete' });
  assert.deepEqual(readConnectHead(Buffer.from('CONN')), { state: 'incomplete' });
  const done = readConnectHead(Buffer.from('CONNECT a.com:443 HTTP/1.1\r\nHost: a.com:443\r\n\r\n\x16\x03\x01'));
  assert.equal(done.state, 'connect');
  if (done.state === 'connect') {
    assert.deepEqual(done.target, { host: 'a.com', port: 443 });
    assert.deepEqual([...done.rest], [0x16, 0x03, 0x01]);
  }
  assert.deepEqual(readConnectHead(Buffer.from('GET http://a.com/ HTTP/1.1\r\n')), { state: 'refused', reason: 'TUNNEL_NOT_CONNECT' });
  assert.deepEqual(readConnectHead(Buffer.from('\x16\x03\x01\x02\x00\x01\x00\x01')), { state: 'refused', reason: 'TUNNEL_NOT_CONNECT' });
  assert.deepEqual(readConnectHead(Buffer.from(`CONNECT a.com:443 HTTP/1.1\r\nX: ${'y'.repeat(MAX_HEAD_BYTES)}`)), { state: 'refused', reason: 'TUNNEL_HEAD_TOO_LARGE' });
  assert.deepEqual(readConnectHead(Buffer.from(`CONNECT a.com:443 HTTP/1.1\r\nX: ${'y'.repeat(MAX_HEAD_BYTES)}\r\n\r\n`)), { state: 'refused', reason: 'TUNNEL_HEAD_TOO_LARGE' });
  assert.deepEqual(readConnectHead(Buffer.from('CONNECT a.com HTTP/1.1\r\n\r\n')), { state: 'refused', reason: 'TUNNEL_BAD_REQUEST' });
});

test('policyTarget: https when that origin is listed, else http; hosts normalized as the allowlist is', () => {
  const allow = new Set(['https://api.example.com:443', 'http://local.test:8080', 'https://[::1]:8443']);
  assert.deepEqual(policyTarget({ host: 'api.example.com', port: 443 }, allow), { hostname: 'api.example.com', protocol: 'https:', port: '443' });
  assert.deepEqual(policyTarget({ host: 'API.Example.COM', port: 443 }, allow), { hostname: 'api.example.com', protocol: 'https:', port: '443' });
  assert.deepEqual(policyTarget({ host: 'local.test', port: 8080 }, allow), { hostname: 'local.test', protocol: 'http:', port: '8080' });
  assert.deepEqual(policyTarget({ host: '::1', port: 8443 }, allow), { hostname: '::1', protocol: 'https:', port: '8443' });
  assert.deepEqual(policyTarget({ host: 'other.test', port: 443 }, allow), { hostname: 'other.test', protocol: 'http:', port: '443' });
  // numeric IPv4 forms become the dotted quad the SSRF check sees
  assert.deepEqual(policyTarget({ host: '2130706433', port: 80 }, allow), { hostname: '127.0.0.1', protocol: 'http:', port: '80' });
});

test('refusalResponse carries the code in a header and the body line and closes', () => {
  const text = refusalResponse(403, 'EGR_ERR_DENIED', 'EGRESS_NOT_ALLOWLISTED');
  assert.match(text, /^HTTP\/1\.1 403 Forbidden\r\n/);
  assert.match(text, /\r\nx-palisade-egress: EGR_ERR_DENIED\r\n/);
  assert.match(text, /\r\nconnection: close\r\n/);
  assert.ok(text.endsWith('\r\n\r\nEGR_ERR_DENIED: EGRESS_NOT_ALLOWLISTED\n'));
  const length = Number(/content-length: (\d+)/.exec(text)?.[1]);
  assert.equal(length, Buffer.byteLength('EGR_ERR_DENIED: EGRESS_NOT_ALLOWLISTED\n'));
});
