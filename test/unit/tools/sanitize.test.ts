import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sanitizeArgs, pointerSegment } from '../../../agent-gateway/tools/sanitize.ts';

function refused(value: unknown, code: string, instancePath?: string) {
  const r = sanitizeArgs(value);
  assert.equal(r.ok, false, 'expected a refusal');
  if (r.ok) return;
  assert.equal(r.code, code);
  assert.equal(r.errors.length, 1);
  if (instancePath !== undefined) assert.equal(r.errors[0]?.instancePath, instancePath);
  return r.errors[0]?.message ?? '';
}

function nestArrays(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i += 1) v = [v];
  return v;
}
function nestObjects(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i += 1) v = { a: v };
  return v;
}

test('returns a rebuilt deep copy equal to the plain JSON input', () => {
  const input = JSON.parse('{"text":"hi","n":[1,2.5,-3e10,true,null,{"x":"y"}],"o":{"k":""}}');
  const r = sanitizeArgs(input);
  assert.equal(r.ok, true);
  if (!r.ok) return;
  assert.deepEqual(r.value, input);
  assert.notEqual(r.value, input);
  const v = r.value as { n: unknown[]; o: object };
  assert.notEqual(v.n, input.n);
  assert.notEqual(v.o, input.o);
  assert.equal(Object.getPrototypeOf(v.o), Object.prototype);
  assert.deepEqual(Object.keys(r.value as object), ['text', 'n', 'o']);
});

test('accepts scalars and empty containers at the top level', () => {
  for (const v of ['s', 0, false, null, [], {}]) {
    const r = sanitizeArgs(v);
    assert.equal(r.ok, true);
    if (r.ok) assert.deepEqual(r.value, v);
  }
});

test('accepts nesting of exactly 32 containers and refuses 33', () => {
  assert.equal(sanitizeArgs(nestArrays(32)).ok, true);
  assert.equal(sanitizeArgs(nestObjects(32)).ok, true);
  const msg = refused(nestArrays(33), 'GW_ERR_VALIDATION', '/0'.repeat(32));
  assert.match(msg ?? '', /deeper than 32/);
  refused(nestObjects(33), 'GW_ERR_VALIDATION', '/a'.repeat(32));
});

test('refuses 1e6-deep arrays and objects without overflowing the stack', () => {
  refused(nestArrays(1_000_000), 'GW_ERR_VALIDATION');
  refused(nestObjects(1_000_000), 'GW_ERR_VALIDATION');
  const text = '['.repeat(1_000_000) + ']'.repeat(1_000_000);
  // JSON.parse itself may refuse this; either way sanitize must not throw
  let parsed: unknown = [];
  try { parsed = JSON.parse(text); } catch { parsed = nestArrays(1_000_000); }
  refused(parsed, 'GW_ERR_VALIDATION');
});

test('honours a custom maxDepth', () => {
  assert.equal(sanitizeArgs(nestArrays(3), { maxDepth: 3, maxKeys: 10 }).ok, true);
  const r = sanitizeArgs(nestArrays(4), { maxDepth: 3, maxKeys: 10 });
  assert.equal(r.ok, false);
});

test('accepts 10,000 keys in total and refuses 10,001', () => {
  const ok: Record<string, number> = {};
  for (let i = 0; i < 10_000; i += 1) ok['k' + i] = i;
  assert.equal(sanitizeArgs(ok).ok, true);
  const tooMany = { ...ok, extra: 1 };
  const msg = refused(tooMany, 'GW_ERR_VALIDATION', '');
  assert.match(msg ?? '', /10000 keys/);
});

test('counts keys across nested objects', () => {
  const inner: Record<string, number> = {};
  for (let i = 0; i < 5_000; i += 1) inner['k' + i] = i;
  const r = sanitizeArgs({ a: inner, b: { ...inner } });
  assert.equal(r.ok, false);
  if (!r.ok) assert.equal(r.code, 'GW_ERR_VALIDATION');
});

test('refuses a __proto__ own property created by JSON.parse', () => {
  const input = JSON.parse('{"__proto__":{"x":1}}');
  assert.ok(Object.hasOwn(input, '__proto__'));
  refused(input, 'GW_ERR_FORBIDDEN_KEY', '/__proto__');
  refused(JSON.parse('{"a":[{"__proto__":null}]}'), 'GW_ERR_FORBIDDEN_KEY', '/a/0/__proto__');
  assert.equal(({} as Record<string, unknown>)['x'], undefined, 'Object.prototype untouched');
});

test('refuses constructor and prototype keys, including constructor.prototype', () => {
  refused(JSON.parse('{"constructor":{"prototype":{"polluted":true}}}'), 'GW_ERR_FORBIDDEN_KEY', '/constructor');
  refused({ deep: { prototype: 1 } }, 'GW_ERR_FORBIDDEN_KEY', '/deep/prototype');
  assert.equal(sanitizeArgs({ Constructor: 1, proto: 2, __proto: 3 }).ok, true);
});

test('refuses NUL, other control characters and DEL in keys', () => {
  for (const ch of ['\u0000', '\u0001', '\n', '\t', '\u001f', '\u007f']) {
    const key = `a${ch}b`;
    refused({ [key]: 1 }, 'GW_ERR_FORBIDDEN_KEY', pointerSegment(key));
  }
});

test('allows control characters inside string values', () => {
  const r = sanitizeArgs({ text: 'line1\nline2\u0000' });
  assert.equal(r.ok, true);
});

test('refuses lone surrogates in keys and in string values', () => {
  refused({ ['a\uD800']: 1 }, 'GW_ERR_FORBIDDEN_KEY');
  refused(JSON.parse('{"t":"x\\udc00"}'), 'GW_ERR_VALIDATION', '/t');
  assert.equal(sanitizeArgs({ t: 'ok \u{1F600}' }).ok, true);
});

test('refuses huge numbers that parse to Infinity, and NaN', () => {
  refused(JSON.parse('{"n":1e400}'), 'GW_ERR_VALIDATION', '/n');
  refused({ n: -Infinity }, 'GW_ERR_VALIDATION', '/n');
  refused([NaN], 'GW_ERR_VALIDATION', '/0');
  const big = sanitizeArgs(JSON.parse('{"n":1.7976931348623157e308,"i":123456789012345678901234567890}'));
  assert.equal(big.ok, true);
});

test('refuses values that are not plain JSON', () => {
  refused({ a: undefined }, 'GW_ERR_VALIDATION', '/a');
  refused({ f: () => 1 }, 'GW_ERR_VALIDATION', '/f');
  refused({ s: Symbol('x') }, 'GW_ERR_VALIDATION', '/s');
  refused({ b: 10n }, 'GW_ERR_VALIDATION', '/b');
  refused({ d: new Date(0) }, 'GW_ERR_VALIDATION', '/d');
  refused({ m: new Map() }, 'GW_ERR_VALIDATION', '/m');
  refused(undefined, 'GW_ERR_VALIDATION', '');
  refused({ [Symbol('k')]: 1 }, 'GW_ERR_VALIDATION', '');
  refused([1, , 3], 'GW_ERR_VALIDATION', '/1');
});

test('never invokes getters and refuses accessor properties', () => {
  let called = false;
  const o = Object.defineProperty({}, 'x', { get() { called = true; return 1; }, enumerable: true });
  refused(o, 'GW_ERR_VALIDATION', '/x');
  assert.equal(called, false);
});

test('refuses a Proxy whose traps throw, without throwing', () => {
  const p = new Proxy({}, { ownKeys() { throw new Error('boom'); }, getPrototypeOf() { return Object.prototype; } });
  const r = sanitizeArgs({ p });
  assert.equal(r.ok, false);
});

test('a cyclic structure is refused at the depth limit', () => {
  const a: Record<string, unknown> = {};
  a['self'] = a;
  refused(a, 'GW_ERR_VALIDATION');
});

test('shared sub-trees cannot multiply the work beyond maxNodes', () => {
  let v: unknown = [1, 2];
  for (let i = 0; i < 30; i += 1) v = [v, v];
  const r = sanitizeArgs(v);
  assert.equal(r.ok, false);
  if (!r.ok) assert.match(r.errors[0]?.message ?? '', /values/);
});

test('refuses strings longer than maxStringBytes (UTF-8 bytes)', () => {
  const limits = { maxDepth: 32, maxKeys: 100, maxStringBytes: 4 };
  assert.equal(sanitizeArgs({ t: 'abcd' }, limits).ok, true);
  assert.equal(sanitizeArgs({ t: 'ééé' }, limits).ok, false);
});

test('instancePath escapes ~ and / per RFC 6901', () => {
  assert.equal(pointerSegment('a/b~c'), '/a~1b~0c');
  refused({ 'a/b': { '~': { constructor: 1 } } }, 'GW_ERR_FORBIDDEN_KEY', '/a~1b/~0/constructor');
});
