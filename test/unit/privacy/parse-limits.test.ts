/**
 * Strict parsing of redaction rules, origins and page contexts (privacy/rules.ts,
 * redaction.ts, ingest.ts): the exact problem list for each refusal and each cap at its
 * boundary (the largest accepted, the smallest refused).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { shareAuditData } from '../../../agent-gateway/privacy/ingest.ts';
import { PAGE_CONTEXT_LIMITS, parsePageContext, redactPageContext } from '../../../agent-gateway/privacy/redaction.ts';
import { compileRule, normalizeOrigin, parseRedactionRule, RULE_LIMITS } from '../../../agent-gateway/privacy/rules.ts';

const V = 'GW_ERR_VALIDATION';
const refused = (problems: string[]) => ({ ok: false, code: V, problems });

test('parseRedactionRule: the exact problems of each refusal', () => {
  for (const input of [null, 'x', [], 3]) assert.deepEqual(parseRedactionRule(input), refused(['rule must be an object {fields, patterns}']), String(input));
  assert.deepEqual(parseRedactionRule({ fields: [], extra: 1, ['k'.repeat(50)]: 2 }), refused(['unknown property "extra"', `unknown property "${'k'.repeat(40)}"`]));
  assert.deepEqual(parseRedactionRule({ fields: 'a' }), refused([`fields must be an array of at most ${RULE_LIMITS.maxFields}`]));
  assert.deepEqual(parseRedactionRule({ fields: ['ok', '', 'f'.repeat(129), 7] }), refused(['fields[1] must be 1..128 chars', 'fields[2] must be 1..128 chars', 'fields[3] must be 1..128 chars']));
  assert.deepEqual(parseRedactionRule({ patterns: {} }), refused([`patterns must be an array of at most ${RULE_LIMITS.maxPatterns}`]));
  const max = RULE_LIMITS.maxPatternChars;
  assert.deepEqual(parseRedactionRule({ patterns: ['', 5, 'p'.repeat(max + 1)] }), refused([0, 1, 2].map((i) => `patterns[${i}] must be 1..${max} chars`)));
  const bad = parseRedactionRule({ patterns: ['a(b'] });
  assert.equal(bad.ok, false);
  assert.match(bad.ok ? '' : bad.problems[0] ?? '', /^patterns\[0\]: /);
});

test('parseRedactionRule: caps accepted at their limit, refused one past it; absent lists are empty', () => {
  assert.deepEqual(parseRedactionRule({}), { ok: true, rule: { fields: [], patterns: [] } });
  const fields = Array.from({ length: RULE_LIMITS.maxFields }, (_, i) => `f${i}`);
  assert.equal(parseRedactionRule({ fields }).ok, true);
  assert.equal(parseRedactionRule({ fields: [...fields, 'one-more'] }).ok, false);
  assert.equal(parseRedactionRule({ fields: ['f'.repeat(RULE_LIMITS.maxFieldChars)] }).ok, true);
  const patterns = Array.from({ length: RULE_LIMITS.maxPatterns }, (_, i) => `p${i}`);
  assert.equal(parseRedactionRule({ patterns }).ok, true);
  assert.deepEqual(parseRedactionRule({ patterns: [...patterns, 'x'] }), refused([`patterns must be an array of at most ${RULE_LIMITS.maxPatterns}`]));
  assert.equal(parseRedactionRule({ patterns: ['a'.repeat(RULE_LIMITS.maxPatternChars)] }).ok, true);
});

test('compileRule folds field names and ignores non-strings in a stored rule', () => {
  const c = compileRule({ fields: ['ＳＳＮ', 'Acct', 5 as unknown as string], patterns: [] });
  assert.deepEqual([...c.fields], ['ssn', 'acct']);
  assert.equal(c.failClosed, false);
});

test('normalizeOrigin: exact problems; trailing dots of DNS names are dropped, IPv6 hosts kept', () => {
  for (const input of [undefined, '', 'x'.repeat(2049), 'not a url', 7]) assert.deepEqual(normalizeOrigin(input), refused(['origin must be a URL']), String(input).slice(0, 20));
  assert.deepEqual(normalizeOrigin(['https://a.example']), refused(['origin must be a URL']), 'an array is not read as its string');
  assert.deepEqual(normalizeOrigin(`https://a.example/${'p'.repeat(2049 - 'https://a.example/'.length)}`), refused(['origin must be a URL']), 'a valid URL of 2049 characters');
  assert.deepEqual(normalizeOrigin('ftp://bank.example'), refused(['origin must be http or https']));
  assert.deepEqual(normalizeOrigin('https://...'), refused(['origin must have a host']));
  assert.deepEqual(normalizeOrigin('https://Bank.Example.:8443/path?q#f'), { ok: true, origin: 'https://bank.example:8443' });
  assert.deepEqual(normalizeOrigin('https://bank.example../'), { ok: true, origin: 'https://bank.example' });
  assert.deepEqual(normalizeOrigin('http://[::1]:8080/x'), { ok: true, origin: 'http://[::1]:8080' });
  assert.deepEqual(normalizeOrigin(`https://a.example/${'p'.repeat(2048 - 'https://a.example/'.length)}`), { ok: true, origin: 'https://a.example' });
});

test('parsePageContext: the exact problems of each refusal', () => {
  for (const input of [null, [], 'x']) assert.deepEqual(parsePageContext(input), refused(['page_context must be an object']));
  assert.deepEqual(parsePageContext({ url: 'https://a.example', extra: 1 }), refused(['unknown property "extra"']));
  assert.deepEqual(parsePageContext({ url: 'https://a.example', ['k'.repeat(50)]: 1 }), refused([`unknown property "${'k'.repeat(40)}"`]), 'the name is cut at 40');
  for (const url of [undefined, 5, 'ftp://a.example', `https://a.example/${'p'.repeat(2048)}`]) {
    assert.deepEqual(parsePageContext({ url }), refused(['url must be an http(s) URL']), String(url).slice(0, 30));
  }
  for (const fields of [[], 'x', 5]) assert.deepEqual(parsePageContext({ url: 'https://a.example', fields }), refused(['fields must be an object of strings']));
  assert.deepEqual(parsePageContext({ url: 'https://a.example', fields: { '': 'v', ['n'.repeat(257)]: 'v', ok: 5, ['m'.repeat(50)]: 'x'.repeat(64 * 1024 + 1) } }),
    refused(['field names must be 1..256 chars', 'field names must be 1..256 chars', 'field "ok" must be a string up to 64 KiB', `field "${'m'.repeat(40)}" must be a string up to 64 KiB`]));
  const many = Object.fromEntries(Array.from({ length: PAGE_CONTEXT_LIMITS.maxFields + 1 }, (_, i) => [`f${i}`, i === 0 ? 5 : 'v']));
  assert.deepEqual(parsePageContext({ url: 'https://a.example', fields: many }), refused(['at most 200 fields', 'field "f0" must be a string up to 64 KiB']));
  const past = Object.fromEntries(Array.from({ length: PAGE_CONTEXT_LIMITS.maxFields + 1 }, (_, i) => [`f${i}`, i === PAGE_CONTEXT_LIMITS.maxFields ? 5 : 'v']));
  assert.deepEqual(parsePageContext({ url: 'https://a.example', fields: past }), refused(['at most 200 fields']), 'fields past the cap are not read');
  for (const html of [5, 'h'.repeat(200 * 1024 + 1)]) assert.deepEqual(parsePageContext({ url: 'https://a.example', html }), refused(['html must be a string up to 200 KiB']));
});

test('parsePageContext: limits accepted at their value; the parsed context keeps only what was sent', () => {
  const fields = Object.fromEntries(Array.from({ length: PAGE_CONTEXT_LIMITS.maxFields }, (_, i) => [`f${i}`, 'v']));
  assert.equal(parsePageContext({ url: 'https://a.example', fields }).ok, true);
  const edge = { ['n'.repeat(256)]: 'x'.repeat(64 * 1024) };
  const r = parsePageContext({ url: 'https://a.example/p', fields: edge, html: 'h'.repeat(200 * 1024) });
  assert.equal(r.ok, true);
  const url = `https://a.example/${'p'.repeat(2048 - 'https://a.example/'.length)}`;
  assert.deepEqual(parsePageContext({ url }), { ok: true, origin: 'https://a.example', context: { url, fields: {} } });
});

test('redactPageContext: the URL loses its fragment, credentials and secret query values', () => {
  const parsed = parsePageContext({ url: 'https://ann:pw@a.example/p?q=lyon&token=abc&card=4111111111111111#frag', fields: { city: 'Lyon' } });
  assert.ok(parsed.ok);
  const out = redactPageContext(parsed, undefined);
  assert.deepEqual(out, {
    origin: 'https://a.example',
    context: { url: 'https://a.example/p?q=lyon&token=%5BREDACTED%5D&card=%5BREDACTED%5D', fields: { city: 'Lyon' } },
    redactedFields: [], sharedFields: ['city'],
  });
  const plain = parsePageContext({ url: 'https://a.example/p?q=a+b%20c' });
  assert.ok(plain.ok);
  assert.equal(redactPageContext(plain, undefined).context.url, 'https://a.example/p?q=a+b%20c', 'an unchanged query is not re-encoded');
});

test('shareAuditData names the origin and fields, copies the lists, and carries no values', () => {
  const parsed = parsePageContext({ url: 'https://a.example', fields: { city: 'Lyon', password: 'pw-1' } });
  assert.ok(parsed.ok);
  const redaction = redactPageContext(parsed, undefined);
  const audit = shareAuditData(redaction);
  assert.deepEqual(audit, { origin: 'https://a.example', fields_shared: ['city'], fields_redacted: ['password'] });
  audit.fields_shared.push('x');
  assert.deepEqual(redaction.sharedFields, ['city']);
});
