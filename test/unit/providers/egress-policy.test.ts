import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyAddress } from '../../../providers/egress/ip.ts';
import { checkAddress, checkUrl, parseAllowlist } from '../../../providers/egress/policy.ts';

function allow(entries: string[]) {
  const parsed = parseAllowlist(entries);
  assert.ok(parsed.ok);
  return parsed.allowlist;
}

test('classifies address ranges, judging IPv6 forms that embed IPv4 by the embedded address', () => {
  const cases: Array<[string, string]> = [
    ['8.8.8.8', 'public'],
    ['127.0.0.1', 'loopback'],
    ['127.255.1.2', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.31.255.255', 'private'],
    ['172.32.0.1', 'public'],
    ['192.168.0.1', 'private'],
    ['169.254.1.1', 'link-local'],
    ['169.254.169.254', 'metadata'],
    ['100.64.0.1', 'cgnat'],
    ['100.127.255.255', 'cgnat'],
    ['100.128.0.1', 'public'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:a9fe:a9fe', 'metadata'],
    ['::ffff:8.8.8.8', 'public'],
    ['::10.0.0.1', 'private'],
    ['64:ff9b::10.0.0.1', 'private'],
    ['2002:c0a8:0101::1', 'private'],
    ['fd00:ec2::254', 'metadata'],
    ['fc00::1', 'unique-local'],
    ['fdff::1', 'unique-local'],
    ['fe80::1', 'link-local'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'reserved'],
    ['2001::1', 'reserved'],
    ['2606:4700:4700::1111', 'public'],
    ['[2606:4700:4700::1111]', 'public'],
    ['not-an-ip', 'invalid'],
    ['fe80::1%eth0', 'invalid'],
  ];
  for (const [ip, cls] of cases) assert.equal(classifyAddress(ip), cls, ip);
});

test('checkAddress refuses private ranges unless the origin is an explicitly allowlisted literal', () => {
  assert.equal(checkAddress('10.0.0.1', { originExplicitlyAllowlisted: false }).ok, false);
  assert.equal(checkAddress('127.0.0.1', { originExplicitlyAllowlisted: true }).ok, true);
  assert.equal(checkAddress('8.8.8.8', { originExplicitlyAllowlisted: false }).ok, true);
  assert.equal(checkAddress('10.0.0.5', { originExplicitlyAllowlisted: false, trustedAddresses: new Set(['10.0.0.5']) }).ok, true);
});

test('checkAddress never opens metadata, unspecified, multicast or broadcast, even when allowlisted', () => {
  for (const ip of ['169.254.169.254', 'fd00:ec2::254', '::ffff:169.254.169.254', '0.0.0.0', '::', '224.0.0.1', '255.255.255.255']) {
    const out = checkAddress(ip, { originExplicitlyAllowlisted: true, trustedAddresses: new Set([ip]) });
    assert.equal(out.ok, false, ip);
    if (!out.ok) assert.equal(out.code, 'EGRESS_ADDRESS');
  }
});

test('checkUrl matches the exact normalized origin and nothing else', () => {
  const list = allow(['https://api.openai.com', 'http://127.0.0.1:11434']);
  assert.equal(checkUrl('https://api.openai.com/v1/chat/completions', list).ok, true);
  assert.equal(checkUrl('HTTPS://API.OPENAI.COM:443/v1', list).ok, true);
  assert.equal(checkUrl('http://127.0.0.1:11434/api/chat', list).ok, true);
  assert.equal(checkUrl('http://2130706433:11434/api/chat', list).ok, true, 'numeric forms normalize to the same literal');
  const refused: Array<[string, string]> = [
    ['https://api.openai.com.evil.com/', 'EGRESS_NOT_ALLOWLISTED'],
    ['https://evilapi.openai.com/', 'EGRESS_NOT_ALLOWLISTED'],
    ['https://api.openai.com:8443/', 'EGRESS_NOT_ALLOWLISTED'],
    ['http://api.openai.com/', 'EGRESS_NOT_ALLOWLISTED'],
    ['http://127.0.0.1:11435/', 'EGRESS_NOT_ALLOWLISTED'],
    ['https://api.openai.com@evil.example/', 'EGRESS_USERINFO'],
    ['https://@api.openai.com/', 'EGRESS_USERINFO'],
    ['file:///etc/passwd', 'EGRESS_SCHEME'],
    ['gopher://api.openai.com/', 'EGRESS_SCHEME'],
    ['data:text/plain,x', 'EGRESS_SCHEME'],
    ['javascript:alert(1)', 'EGRESS_SCHEME'],
    ['https://api.openai.com\\@evil/', 'EGRESS_BAD_URL'],
    [' https://api.openai.com/', 'EGRESS_BAD_URL'],
    ['not a url', 'EGRESS_BAD_URL'],
    [`https://api.openai.com/${'a'.repeat(3000)}`, 'EGRESS_BAD_URL'],
  ];
  for (const [url, code] of refused) {
    const out = checkUrl(url, list);
    assert.equal(out.ok, false, url);
    if (!out.ok) assert.equal(out.code, code, url);
  }
});

test('IDNA hosts are compared in punycode form, so a lookalike never matches', () => {
  const list = allow(['https://bücher.example']);
  assert.equal(checkUrl('https://xn--bcher-kva.example/', list).ok, true);
  assert.equal(checkUrl('https://BÜCHER.example/', list).ok, true);
  assert.equal(checkUrl('https://\u0430pi.openai.com/', allow(['https://api.openai.com'])).ok, false);
});

test('parseAllowlist rejects entries with paths, userinfo or other schemes and lists every problem', () => {
  const out = parseAllowlist(['https://api.openai.com/v1', 'ftp://x.example', 'https://u@x.example', 'https://ok.example']);
  assert.equal(out.ok, false);
  if (!out.ok) assert.equal(out.problems.length, 3);
});
