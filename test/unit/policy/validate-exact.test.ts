/**
 * Policy validation (policy/validate.ts), exact values: the built predicates and rules (no
 * undefined keys), messages of the hand checks at their boundaries, and shape refusals the
 * ajv schema must make (each would otherwise reach the hand checks with a wrong type).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { POLICY_LIMITS, policyToJson, validatePolicy } from '../../../agent-gateway/policy/validate.ts';

const rule = (extra: Record<string, unknown> = {}) => ({ id: 'r1', effect: 'allow', agents: ['*'], tools: ['*'], ...extra });
const doc = (input: unknown) => {
  const v = validatePolicy(input);
  assert.ok(v.ok, JSON.stringify(v));
  return v.doc;
};
const refused = (input: unknown, why: string) => assert.equal(validatePolicy(input).ok, false, why);

test('range predicates are built with only the bounds sent; equal bounds are accepted', () => {
  const d = doc({ rules: [rule({ when: [{ arg: 'a', min: 3 }, { arg: 'b', max: 4 }, { arg: 'c', min: 5, max: 5 }] })] });
  assert.deepStrictEqual(d.rules[0]?.when, [{ kind: 'range', arg: 'a', min: 3 }, { kind: 'range', arg: 'b', max: 4 }, { kind: 'range', arg: 'c', min: 5, max: 5 }]);
  assert.deepStrictEqual(policyToJson(d).rules[0]?.['when'], [{ arg: 'a', min: 3 }, { arg: 'b', max: 4 }, { arg: 'c', min: 5, max: 5 }]);
  assert.deepEqual(validatePolicy({ rules: [rule({ when: { arg: 'c', min: 6, max: 5 } })] }), { ok: false, errors: [{ instancePath: '/rules/0/when', message: 'min must not exceed max' }] });
});

test('delegated_from is kept when sent and absent otherwise', () => {
  assert.deepStrictEqual(doc({ rules: [rule()] }).rules[0], { id: 'r1', effect: 'allow', agents: ['*'], tools: ['*'], when: [] });
  const d = doc({ rules: [rule({ delegated_from: ['root'] })] });
  assert.deepStrictEqual(d.rules[0], { id: 'r1', effect: 'allow', agents: ['*'], tools: ['*'], when: [], delegated_from: ['root'] });
  assert.deepStrictEqual(policyToJson(d).rules[0], { id: 'r1', effect: 'allow', agents: ['*'], tools: ['*'], delegated_from: ['root'] });
  assert.deepStrictEqual(policyToJson(doc({ rules: [rule()] })).rules[0], { id: 'r1', effect: 'allow', agents: ['*'], tools: ['*'] });
});

test('hand-check messages: reserved and duplicate ids, equals at 4096 serialized characters', () => {
  assert.deepEqual(validatePolicy({ rules: [rule({ id: 'default:x' })] }), { ok: false, errors: [{ instancePath: '/rules/0/id', message: 'ids starting with "default:" are reserved' }] });
  assert.deepEqual(validatePolicy({ rules: [rule(), rule()] }), { ok: false, errors: [{ instancePath: '/rules/1/id', message: 'duplicate rule id "r1"' }] });
  const at = (n: number) => ({ arg: 'x', equals: 'e'.repeat(n - 2) }); // JSON string: n characters with its quotes
  assert.equal(validatePolicy({ rules: [rule({ when: at(POLICY_LIMITS.equalsJsonLength) })] }).ok, true);
  assert.deepEqual(validatePolicy({ rules: [rule({ when: at(POLICY_LIMITS.equalsJsonLength + 1) })] }),
    { ok: false, errors: [{ instancePath: '/rules/0/when/equals', message: 'must serialize to at most 4096 characters' }] });
});

test('taint block tags are sorted like on', () => {
  const d = doc({ rules: [], taint: [{ id: 't', on: ['reads:secret'], block: ['writes:local', 'net:egress'], window_seconds: 1 }] });
  assert.deepEqual(d.taint?.[0]?.block, ['net:egress', 'writes:local']);
});

test('the schema refuses wrong shapes before any hand check', () => {
  refused({}, 'rules is required');
  refused({ rules: [rule({ id: '' })] }, 'empty rule id');
  refused({ rules: [rule({ id: 'a b' })] }, 'rule id syntax');
  refused({ rules: [rule({ id: 'i'.repeat(65) })] }, 'rule id length');
  refused({ rules: [rule({ agents: [5] })] }, 'a glob is a string');
  refused({ rules: [rule({ when: { arg: '', prefix: 'p' } })] }, 'empty arg');
  refused({ rules: [rule({ when: { arg: 'a'.repeat(129), prefix: 'p' } })] }, 'arg length');
  refused({ rules: [rule({ when: { arg: 'a', prefix: '' } })] }, 'empty prefix');
  refused({ rules: [rule({ when: { arg: 'a', prefix: 5 } })] }, 'prefix type');
  refused({ rules: [rule({ when: { arg: 'a', regex: 'x', extra: 1 } })] }, 'regex predicate extra property');
  refused({ rules: [rule({ when: { min: 1, max: 2 } })] }, 'range without arg');
  refused({ rules: [rule({ when: { arg: 'a', max: 'x' } })] }, 'max type');
  refused({ rules: [], taint: [{ on: ['reads:secret'], block: ['net:egress'], window_seconds: 1 }] }, 'taint id required');
  refused({ rules: [], taint: [{ id: 'a b', on: ['reads:secret'], block: ['net:egress'], window_seconds: 1 }] }, 'taint id syntax');
  refused({ rules: [], taint: [{ id: '', on: ['reads:secret'], block: ['net:egress'], window_seconds: 1 }] }, 'taint id empty');
  refused({ rules: [], risk: { scores: { low: 0, medium: 0, high: 0, critical: 0 }, window_seconds: 1, escalate_at: 1 } }, 'deny_at required');
  refused({ rules: [], risk: { scores: { low: 0, medium: 0, high: 0, critical: 0, extreme: 1 }, window_seconds: 1, escalate_at: 1, deny_at: 1 } }, 'unknown level');
});
