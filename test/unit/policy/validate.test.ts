import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validatePolicy, policyToJson } from '../../../agent-gateway/policy/validate.ts';

const rule = (extra: Record<string, unknown> = {}) => ({ id: 'r1', effect: 'allow', agents: ['*'], tools: ['js.eval'], ...extra });

function errorsOf(doc: unknown) {
  const r = validatePolicy(doc);
  assert.equal(r.ok, false, 'expected the document to be rejected');
  return r.ok ? [] : r.errors;
}

test('accepts a document with every predicate kind and round-trips it through policyToJson', () => {
  const input = {
    rules: [
      rule({ when: { arg: 'path', prefix: '/tmp/' } }),
      { id: 'r2', effect: 'deny', agents: ['agent-?', 'ops:*'], tools: ['fs.*'], when: [
        { arg: 'mode', equals: { a: [1, 'x', null] } },
        { arg: 'name', regex: '^[a-z]+\\.txt$' },
        { arg: 'size', min: 0, max: 10 },
        { arg: 'n', min: 3 },
      ] },
      { id: 'r3', effect: 'require_approval', agents: ['*'], tools: ['*'] },
    ],
  };
  const r = validatePolicy(input);
  assert.ok(r.ok);
  assert.deepEqual(policyToJson(r.doc), {
    rules: [
      { ...rule(), when: [{ arg: 'path', prefix: '/tmp/' }] },
      input.rules[1],
      input.rules[2],
    ],
  });
});

test('accepts an empty rule list', () => {
  assert.ok(validatePolicy({ rules: [] }).ok);
});

test('rejects unknown top-level and rule fields', () => {
  assert.equal(errorsOf({ rules: [], extra: 1 })[0]?.message, 'must NOT have additional properties');
  assert.equal(errorsOf({ rules: [rule({ priority: 1 })] })[0]?.instancePath, '/rules/0');
});

test('rejects an unknown effect and missing fields', () => {
  assert.equal(errorsOf({ rules: [rule({ effect: 'maybe' })] })[0]?.instancePath, '/rules/0/effect');
  assert.equal(errorsOf({ rules: [{ id: 'x', effect: 'allow', agents: ['*'] }] })[0]?.instancePath, '/rules/0');
  assert.equal(errorsOf(null)[0]?.instancePath, '');
  assert.equal(errorsOf({ rules: [rule({ agents: [] })] })[0]?.instancePath, '/rules/0/agents');
});

test('does not coerce types (a numeric string is not a number)', () => {
  assert.equal(errorsOf({ rules: [rule({ when: { arg: 'n', min: '3' } })] })[0]?.instancePath, '/rules/0/when');
});

test('rejects an invalid glob with the path of the offending entry', () => {
  for (const bad of ['[a-z]*', 'a b', '**/x', 'a{b}', 'é', 'a/b', 'x\n']) {
    const errs = errorsOf({ rules: [rule({ tools: ['ok.*', bad] })] });
    assert.equal(errs[0]?.instancePath, '/rules/0/tools/1', bad);
    assert.match(errs[0]?.message ?? '', /invalid glob/);
  }
  // one glob cap for scopes and policies (agent-gateway/glob.ts, 256): 256 passes, 257 does not
  assert.equal(validatePolicy({ rules: [rule({ agents: ['x'.repeat(256)] })] }).ok, true);
  assert.equal(errorsOf({ rules: [rule({ agents: ['x'.repeat(257)] })] })[0]?.instancePath, '/rules/0/agents/0');
});

test('rejects an invalid regex', () => {
  const errs = errorsOf({ rules: [rule({ when: { arg: 'a', regex: '([a-z' } })] });
  assert.deepEqual(errs, [{ instancePath: '/rules/0/when/regex', message: 'invalid regular expression' }]);
});

test('rejects a regex longer than 256 characters', () => {
  assert.equal(errorsOf({ rules: [rule({ when: { arg: 'a', regex: 'a'.repeat(257) } })] })[0]?.instancePath, '/rules/0/when/regex');
  assert.ok(validatePolicy({ rules: [rule({ when: { arg: 'a', regex: 'a'.repeat(256) } })] }).ok);
});

test('rejects what RE2 cannot run in linear time (backreferences, lookaround) and over-complex programs', () => {
  // catastrophic shapes for a backtracking engine ('^(a+)+$', '(a|aa)*', '(x*)*y') are accepted: RE2 runs them in linear time
  for (const bad of ['(a)\\1', '(?<n>a)\\k<n>', '(?=x)x+', '(?<!a)b', 'a{1001}', '\\w{600}']) {
    const errs = errorsOf({ rules: [rule({ when: [{ arg: 'a', regex: bad }] })] });
    assert.equal(errs[0]?.instancePath, '/rules/0/when/0/regex', bad);
  }
  for (const good of ['^(?:ab)+$', '^[a-z]+(\\.[a-z]+)?$', '^\\p{L}{1,3}$', '(?<year>\\d{4})-\\d{2}', '^a*b*$', '^(a+)+$', '(a|aa)*', '((ab)*c)+']) {
    assert.ok(validatePolicy({ rules: [rule({ when: { arg: 'a', regex: good } })] }).ok, good);
  }
});

test('rejects duplicate ids and the reserved default: prefix', () => {
  const errs = errorsOf({ rules: [rule(), rule(), rule({ id: 'default:allow' })] });
  assert.deepEqual(errs.map((e) => e.instancePath), ['/rules/1/id', '/rules/2/id']);
});

test('rejects a predicate with two operators, no operator, or min above max', () => {
  assert.equal(errorsOf({ rules: [rule({ when: { arg: 'a', prefix: 'x', equals: 1 } })] })[0]?.instancePath, '/rules/0/when');
  assert.equal(errorsOf({ rules: [rule({ when: { arg: 'a' } })] })[0]?.instancePath, '/rules/0/when');
  assert.deepEqual(errorsOf({ rules: [rule({ when: [{ arg: 'a', min: 5, max: 1 }] })] }), [{ instancePath: '/rules/0/when/0', message: 'min must not exceed max' }]);
});

test('enforces caps on rule count, predicates per rule and equals size', () => {
  const many = Array.from({ length: 257 }, (_, i) => rule({ id: `r${i}` }));
  assert.equal(errorsOf({ rules: many })[0]?.instancePath, '/rules');
  const preds = Array.from({ length: 17 }, () => ({ arg: 'a', equals: 1 }));
  assert.equal(errorsOf({ rules: [rule({ when: preds })] })[0]?.instancePath, '/rules/0/when');
  assert.equal(errorsOf({ rules: [rule({ when: { arg: 'a', equals: 'x'.repeat(5000) } })] })[0]?.instancePath, '/rules/0/when/equals');
});

test('the validated document is frozen and independent of the input object', () => {
  const input = { rules: [rule({ agents: ['a'] })] };
  const r = validatePolicy(input);
  assert.ok(r.ok);
  input.rules[0]!.agents.push('b');
  assert.deepEqual(r.doc.rules[0]?.agents, ['a']);
  assert.ok(Object.isFrozen(r.doc.rules));
});
