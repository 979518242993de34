/**
 * sanitizeArgs (tools/sanitize.ts), exact refusals: code, JSON pointer and message of each
 * kind of non-JSON value, the value/node caps at their boundary, and the shape of the copy.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sanitizeArgs } from '../../../agent-gateway/tools/sanitize.ts';

const V = 'GW_ERR_VALIDATION';
const F = 'GW_ERR_FORBIDDEN_KEY';
const refusal = (code: string, instancePath: string, message: string) => ({ ok: false, code, errors: [{ instancePath, message }] });
const LIMITS = { maxDepth: 8, maxKeys: 100 };

test('each refusal names its code, pointer and reason', () => {
  const hole: unknown[] = [1];
  hole[2] = 3;
  class Arr extends Array<number> {}
  const cases: Array<[unknown, ReturnType<typeof refusal>]> = [
    [{ a: { __proto__x: 1, constructor: 1 } }, refusal(F, '/a/constructor', 'key "constructor" is not allowed')],
    [{ 'k\u0001': 1 }, refusal(F, '/k\u0001', 'key contains a control character')],
    [{ ['k\ud800']: 1 }, refusal(F, '/k\ud800', 'key contains a lone surrogate')],
    [{ s: 'x\udc00' }, refusal(V, '/s', 'string contains a lone surrogate')],
    [{ n: [1, Number.NaN] }, refusal(V, '/n/1', 'number is not finite')],
    [{ d: new Date(0) }, refusal(V, '/d', 'value is not plain JSON')],
    [{ a: Arr.from([1]) }, refusal(V, '/a', 'value is not plain JSON')],
    [{ a: Object.create(Array.prototype) as unknown }, refusal(V, '/a', 'value is not plain JSON')],
    [{ f: 10n }, refusal(V, '/f', 'value of type bigint is not JSON')],
    [{ u: undefined }, refusal(V, '/u', 'value of type undefined is not JSON')],
    [hole, refusal(V, '/1', 'array has a hole')],
    [{ get g() { return 1; } }, refusal(V, '/g', 'accessor properties are not JSON')],
    [{ [Symbol('s')]: 1 }, refusal(V, '', 'symbol keys are not JSON')],
    [Object.defineProperty({}, 'h', { value: 1, enumerable: false }), refusal(V, '/h', 'non-enumerable properties are not JSON')],
  ];
  for (const [value, want] of cases) assert.deepEqual(sanitizeArgs(value, LIMITS), want, JSON.stringify(want.errors));
});

test('a value whose reads throw (a hostile Proxy) is refused, never rethrown', () => {
  const hostile = new Proxy({}, { ownKeys() { throw new Error('trap'); } });
  assert.deepEqual(sanitizeArgs({ a: hostile }, LIMITS), refusal(V, '', 'value could not be read as JSON'));
});

test('maxNodes counts every value: the limit itself passes, one more is refused where it is found', () => {
  assert.equal(sanitizeArgs([1, 2], { ...LIMITS, maxNodes: 3 }).ok, true);
  assert.deepEqual(sanitizeArgs([1, 2, 3], { ...LIMITS, maxNodes: 3 }), refusal(V, '', 'more than 3 values'));
  assert.equal(sanitizeArgs({ a: 1, b: 2 }, { ...LIMITS, maxNodes: 3 }).ok, true);
  assert.deepEqual(sanitizeArgs({ a: 1, b: 2 }, { ...LIMITS, maxNodes: 2 }), refusal(V, '/b', 'more than 2 values'));
  assert.deepEqual(sanitizeArgs({ a: [1, 2] }, { ...LIMITS, maxNodes: 3 }), refusal(V, '/a', 'more than 3 values'));
});

test('maxStringBytes counts UTF-8 bytes: the limit passes, one byte more is refused', () => {
  assert.equal(sanitizeArgs({ s: 'éé' }, { ...LIMITS, maxStringBytes: 4 }).ok, true);
  assert.deepEqual(sanitizeArgs({ s: 'ééa' }, { ...LIMITS, maxStringBytes: 4 }), refusal(V, '/s', 'string longer than 4 bytes'));
});

test('the copy is fresh plain data: null-prototype objects accepted, properties writable and configurable', () => {
  const src = Object.assign(Object.create(null) as Record<string, unknown>, { k: [1, { z: 'y' }] });
  const r = sanitizeArgs(src, LIMITS);
  assert.ok(r.ok);
  if (!r.ok) return;
  assert.deepEqual(r.value, { k: [1, { z: 'y' }] });
  assert.equal(Object.getPrototypeOf(r.value), Object.prototype);
  assert.deepEqual(Object.getOwnPropertyDescriptor(r.value, 'k'), { value: (r.value as Record<string, unknown>)['k'], enumerable: true, writable: true, configurable: true });
  assert.notEqual((r.value as Record<string, unknown>)['k'], src['k']);
});
