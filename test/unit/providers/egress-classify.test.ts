/**
 * Exact answers of the egress's pure decisions, table-driven: the class of every special IPv4
 * and IPv6 range (both edges where an edge matters), the embedded-IPv4 forms, malformed IPv6
 * text, and the precise code and reason of each URL/allowlist/address refusal. Written to kill
 * the mutants `npm run mutate` found alive in providers/egress/ip.ts and policy.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyAddress, expandIPv6, type AddressClass } from '../../../providers/egress/ip.ts';
import { canonicalIp, checkAddress, checkUrl, parseAllowlist, parseHttpUrl } from '../../../providers/egress/policy.ts';

const V4: ReadonlyArray<[string, AddressClass]> = [
  ['169.254.169.254', 'metadata'], ['169.254.169.253', 'link-local'],
  ['0.0.0.0', 'unspecified'], ['0.255.255.255', 'unspecified'], ['1.0.0.0', 'public'],
  ['10.0.0.0', 'private'], ['10.255.255.255', 'private'], ['11.0.0.0', 'public'], ['9.255.255.255', 'public'],
  ['100.64.0.0', 'cgnat'], ['100.127.255.255', 'cgnat'], ['100.128.0.0', 'public'], ['100.63.255.255', 'public'],
  ['127.0.0.1', 'loopback'], ['127.255.255.255', 'loopback'], ['128.0.0.0', 'public'],
  ['169.254.0.1', 'link-local'], ['169.255.0.0', 'public'],
  ['172.16.0.0', 'private'], ['172.31.255.255', 'private'], ['172.32.0.0', 'public'], ['172.15.255.255', 'public'],
  ['192.0.0.1', 'reserved'], ['192.0.1.0', 'public'], ['192.0.2.1', 'reserved'], ['192.0.3.0', 'public'],
  ['192.88.99.1', 'reserved'], ['192.88.100.0', 'public'],
  ['192.168.0.1', 'private'], ['192.169.0.0', 'public'],
  ['198.18.0.0', 'reserved'], ['198.19.255.255', 'reserved'], ['198.20.0.0', 'public'], ['198.17.255.255', 'public'],
  ['198.51.100.1', 'reserved'], ['198.51.101.0', 'public'], ['203.0.113.1', 'reserved'], ['203.0.114.0', 'public'],
  ['224.0.0.1', 'multicast'], ['239.255.255.255', 'multicast'], ['240.0.0.1', 'reserved'], ['255.255.255.254', 'reserved'],
  ['255.255.255.255', 'broadcast'], ['8.8.8.8', 'public'], ['223.255.255.255', 'public'],
];

const V6: ReadonlyArray<[string, AddressClass]> = [
  ['::', 'unspecified'], ['::1', 'loopback'], ['[::1]', 'loopback'], ['::2', 'unspecified'],
  ['::ffff:127.0.0.1', 'loopback'], ['::ffff:7f00:1', 'loopback'], ['::ffff:8.8.8.8', 'public'], ['::ffff:169.254.169.254', 'metadata'],
  ['::10.0.0.1', 'private'], ['::8.8.8.8', 'public'], ['::1:0:0:1', 'reserved'],
  ['64:ff9b::a00:1', 'private'], ['64:ff9b::8.8.8.8', 'public'], ['64:ff9b:1::a00:1', 'reserved'], ['64:ff9b::1:a00:1', 'reserved'],
  ['2002:a00:1::', 'private'], ['2002:808:808::', 'public'],
  ['fd00:ec2::254', 'metadata'], ['fd00:ec2::253', 'unique-local'], ['fd00:ec2::1:254', 'unique-local'], ['fd00:ec3::254', 'unique-local'],
  ['fc00::1', 'unique-local'], ['fdff:ffff::1', 'unique-local'], ['fe00::1', 'reserved'],
  ['fe80::1', 'link-local'], ['febf::1', 'link-local'], ['fec0::1', 'private'], ['feff::1', 'private'],
  ['ff02::1', 'multicast'], ['ff00::', 'multicast'],
  ['1000::1', 'reserved'], ['4000::1', 'reserved'], ['3fff:ffff::1', 'public'], ['3fff::1', 'reserved'], ['3fff:fff::1', 'reserved'], ['3fff:1000::1', 'public'],
  ['2001::1', 'reserved'], ['2001:1ff::1', 'reserved'], ['2001:200::1', 'public'], ['2001:db8::1', 'reserved'], ['2001:db9::1', 'public'],
  ['2606:4700::1111', 'public'], ['2a00:1450::1', 'public'],
  // one hextet off each special form: no longer that form
  ['0:1::1', 'reserved'], ['0:0:1::1', 'reserved'], ['0:0:0:1::1', 'reserved'], ['::fffe:a00:1', 'reserved'],
  ['65:ff9b::a00:1', 'reserved'], ['64:ff9a::a00:1', 'reserved'], ['64:ff9b:0:1::a00:1', 'reserved'], ['64:ff9b::1:0:a00:1', 'reserved'],
  ['fd01:ec2::254', 'unique-local'], ['fd00:ec2:1::254', 'unique-local'], ['fd00:ec2:0:1::254', 'unique-local'], ['fd00:ec2::1:0:254', 'unique-local'],
  ['::ffff:1.2.3', 'invalid'], ['1::2::3', 'invalid'], ['fe80::1%eth0', 'invalid'], ['1:2:3:4:5:6:7:8:9', 'invalid'], ['1:2:3:4:5:6:7', 'invalid'],
  ['example.com', 'invalid'], ['', 'invalid'], ['[::1', 'invalid'], ['::1]', 'invalid'],
];

test('classifyAddress: every IPv4 range, at both edges', () => {
  assert.deepEqual(V4.filter(([ip, cls]) => classifyAddress(ip) !== cls).map(([ip]) => `${ip} → ${classifyAddress(ip)}`), []);
});

test('classifyAddress: IPv6 ranges, embedded IPv4 forms and malformed text', () => {
  assert.deepEqual(V6.filter(([ip, cls]) => classifyAddress(ip) !== cls).map(([ip]) => `${ip} → ${classifyAddress(ip)}`), []);
});

test('expandIPv6 expands every compressed form to 8 hextets and refuses the malformed', () => {
  assert.deepEqual(expandIPv6('::'), [0, 0, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual(expandIPv6('1::'), [1, 0, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual(expandIPv6('::1'), [0, 0, 0, 0, 0, 0, 0, 1]);
  assert.deepEqual(expandIPv6('1:2::7:8'), [1, 2, 0, 0, 0, 0, 7, 8]);
  assert.deepEqual(expandIPv6('1:2:3:4:5:6:7:8'), [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.deepEqual(expandIPv6('::ffff:1.2.3.4'), [0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304]);
  for (const bad of ['1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', 'fe80::1%1', 'x::1', '::ffff:1.2.3.256', '1.2.3.4']) assert.equal(expandIPv6(bad), undefined, bad);
});

test('parseHttpUrl: exact code and reason of each refusal; the normalized origin of an accepted URL', () => {
  const denied = (input: unknown, code: string, reason: string): void => assert.deepEqual(parseHttpUrl(input as string), { ok: false, code, reason }, String(input));
  denied('', 'EGRESS_BAD_URL', 'empty or too long');
  denied(42, 'EGRESS_BAD_URL', 'empty or too long');
  denied(`https://a.example/${'x'.repeat(2048)}`, 'EGRESS_BAD_URL', 'empty or too long');
  denied('https://a.example/ x', 'EGRESS_BAD_URL', 'control, space or backslash');
  denied('https://a.example\\@b.example/', 'EGRESS_BAD_URL', 'control, space or backslash');
  denied('not a url', 'EGRESS_BAD_URL', 'control, space or backslash');
  denied('nourl', 'EGRESS_BAD_URL', 'unparseable');
  denied('ftp://a.example/', 'EGRESS_SCHEME', 'scheme ftp:');
  denied('https://u@a.example/', 'EGRESS_USERINFO', 'userinfo in URL');
  denied('https://:p@a.example/', 'EGRESS_USERINFO', 'userinfo in URL');
  denied('https://@a.example/', 'EGRESS_USERINFO', 'userinfo in URL');
  denied('file:///etc/passwd', 'EGRESS_SCHEME', 'scheme file:');
  const exact = (input: string, origin: object): void => {
    const r = parseHttpUrl(input);
    assert.ok(r.ok, input);
    assert.deepEqual(r.origin, origin, input);
  };
  exact('https://API.Example.com/v1?q=1@x', { scheme: 'https', host: 'api.example.com', port: 443, origin: 'https://api.example.com:443', ipLiteral: false });
  exact('http://a.example/', { scheme: 'http', host: 'a.example', port: 80, origin: 'http://a.example:80', ipLiteral: false });
  exact('https://a.example:8443/', { scheme: 'https', host: 'a.example', port: 8443, origin: 'https://a.example:8443', ipLiteral: false });
  exact('http://127.1:9/', { scheme: 'http', host: '127.0.0.1', port: 9, origin: 'http://127.0.0.1:9', ipLiteral: true });
  exact('http://[::1]/', { scheme: 'http', host: '[::1]', port: 80, origin: 'http://[::1]:80', ipLiteral: true });
});

test('parseAllowlist: blank entries are skipped, entries trimmed, each problem named with its entry', () => {
  const ok = parseAllowlist(['  https://a.example  ', '', '   ', 'http://b.example:8080/']);
  assert.ok(ok.ok);
  assert.deepEqual([...ok.allowlist], ['https://a.example:443', 'http://b.example:8080']);
  assert.deepEqual(parseAllowlist(['https://a.example/path', 'https://a.example/?q', 'https://a.example/#h', 'ftp://x.example', ' nourl ']), {
    ok: false,
    problems: [
      'allowlist entry "https://a.example/path": must be an origin without path',
      'allowlist entry "https://a.example/?q": must be an origin without path',
      'allowlist entry "https://a.example/#h": must be an origin without path',
      'allowlist entry "ftp://x.example": scheme ftp:',
      'allowlist entry "nourl": unparseable',
    ],
  });
});

test('checkUrl names the origin it refused', () => {
  const allow = parseAllowlist(['https://a.example']);
  assert.ok(allow.ok);
  assert.deepEqual(checkUrl('https://b.example/x', allow.allowlist), { ok: false, code: 'EGRESS_NOT_ALLOWLISTED', reason: 'origin https://b.example:443 not allowlisted' });
  assert.equal(checkUrl('https://a.example/x', allow.allowlist).ok, true);
});

test('checkAddress: never-open classes, explicit IP origins, trusted addresses, and the reason', () => {
  const plain = { originExplicitlyAllowlisted: false };
  assert.deepEqual(checkAddress('8.8.8.8', plain), { ok: true, cls: 'public' });
  for (const [ip, cls] of [['169.254.169.254', 'metadata'], ['0.0.0.0', 'unspecified'], ['224.0.0.1', 'multicast'], ['255.255.255.255', 'broadcast'], ['nope', 'invalid']] as const) {
    assert.deepEqual(checkAddress(ip, { originExplicitlyAllowlisted: true, trustedAddresses: new Set([ip]) }), { ok: false, code: 'EGRESS_ADDRESS', reason: `address class ${cls}` }, ip);
  }
  assert.deepEqual(checkAddress('10.0.0.1', plain), { ok: false, code: 'EGRESS_ADDRESS', reason: 'address class private' });
  assert.deepEqual(checkAddress('10.0.0.1', { originExplicitlyAllowlisted: true }), { ok: true, cls: 'private' });
  assert.deepEqual(checkAddress('[::1]', { originExplicitlyAllowlisted: false, trustedAddresses: new Set(['::1']) }), { ok: true, cls: 'loopback' });
  assert.deepEqual(checkAddress('::ffff:7f00:1', { originExplicitlyAllowlisted: false, trustedAddresses: new Set([canonicalIp('::ffff:127.0.0.1')]) }), { ok: true, cls: 'loopback' });
  assert.equal(checkAddress('10.0.0.2', { originExplicitlyAllowlisted: false, trustedAddresses: new Set(['10.0.0.1']) }).ok, false);
});

test('canonicalIp prints an address as the URL parser does, without brackets', () => {
  assert.equal(canonicalIp('[::1]'), '::1');
  assert.equal(canonicalIp('0:0:0:0:0:0:0:1'), '::1');
  assert.equal(canonicalIp('::FFFF:127.0.0.1'), '::ffff:7f00:1');
  assert.equal(canonicalIp('127.1'), '127.0.0.1');
  assert.equal(canonicalIp('8.8.8.8'), '8.8.8.8');
  assert.equal(canonicalIp('[zz'), '[zz');
  assert.equal(canonicalIp('not an ip'), 'not an ip');
});
