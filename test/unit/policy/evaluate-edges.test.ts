// evaluate() edges the main file does not pin: delegated_from, the first deny stopping the
// scan (a later unevaluable predicate is not reached), structural equality corner cases,
// non-finite numbers, and regex predicates on non-string or absent args.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluate, type PolicyInput } from '../../../agent-gateway/policy/evaluate.ts';
import { validatePolicy } from '../../../agent-gateway/policy/validate.ts';
import type { PolicyDoc } from '../../../agent-gateway/policy/types.ts';

function doc(rules: unknown[]): PolicyDoc {
  const r = validatePolicy({ rules });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.doc;
}
const low = { risk: 'low', requires_approval: false } as const;
const call = (over: Partial<PolicyInput> = {}): PolicyInput => ({ agentId: 'bot-1', tool: 'fs.read', args: {}, manifest: low, ...over });
const huge = 'a'.repeat(70_000);

test('delegated_from matches only a delegated agent with an ancestor matching a glob', () => {
  const d = doc([{ id: 'sub', effect: 'deny', agents: ['*'], tools: ['*'], delegated_from: ['root-*'] }]);
  assert.deepEqual(evaluate(d, call()), { effect: 'allow', ruleId: 'default:allow' }, 'not delegated');
  assert.deepEqual(evaluate(d, call({ chain: [] })), { effect: 'allow', ruleId: 'default:allow' });
  assert.deepEqual(evaluate(d, call({ chain: ['other', 'mid'] })), { effect: 'allow', ruleId: 'default:allow' });
  assert.deepEqual(evaluate(d, call({ chain: ['other', 'root-7'] })), { effect: 'deny', ruleId: 'sub' }, 'any ancestor');
  const anyAncestor = doc([{ id: 'any-sub', effect: 'deny', agents: ['*'], tools: ['*'], delegated_from: ['*'] }]);
  assert.deepEqual(evaluate(anyAncestor, call()), { effect: 'allow', ruleId: 'default:allow' }, 'a non-delegated agent has no ancestor, not even for *');
  assert.deepEqual(evaluate(anyAncestor, call({ chain: ['r'] })), { effect: 'deny', ruleId: 'any-sub' });
  const plain = doc([{ id: 'all', effect: 'deny', agents: ['bot-*'], tools: ['fs.*'] }]);
  assert.deepEqual(evaluate(plain, call({ chain: ['x'] })), { effect: 'deny', ruleId: 'all' }, 'no delegated_from: chain ignored');
  assert.deepEqual(evaluate(plain, call({ agentId: 'cat-1' })), { effect: 'allow', ruleId: 'default:allow' });
  assert.deepEqual(evaluate(plain, call({ tool: 'net.get' })), { effect: 'allow', ruleId: 'default:allow' });
});

test('the first matching deny decides and stops the scan: a later unevaluable predicate is not reached', () => {
  const d = doc([
    { id: 'first', effect: 'deny', agents: ['*'], tools: ['*'] },
    { id: 'rx', effect: 'deny', agents: ['*'], tools: ['*'], when: { arg: 's', regex: '^a' } },
  ]);
  assert.deepEqual(evaluate(d, call({ args: { s: huge } })), { effect: 'deny', ruleId: 'first' });
  const after = doc([
    { id: 'rx', effect: 'allow', agents: ['*'], tools: ['*'], when: { arg: 's', regex: '^a' } },
    { id: 'later', effect: 'deny', agents: ['*'], tools: ['*'] },
  ]);
  assert.deepEqual(evaluate(after, call({ args: { s: huge } })), { effect: 'deny', ruleId: 'rx', reason: 'predicate_unevaluable' }, 'fail closed even for an allow rule');
  assert.deepEqual(evaluate(after, call({ args: { s: 'abc' } })), { effect: 'deny', ruleId: 'later' });
  const ask = doc([
    { id: 'ask1', effect: 'require_approval', agents: ['*'], tools: ['*'] },
    { id: 'allow1', effect: 'allow', agents: ['*'], tools: ['*'] },
    { id: 'ask2', effect: 'require_approval', agents: ['*'], tools: ['*'] },
  ]);
  assert.deepEqual(evaluate(ask, call()), { effect: 'require_approval', ruleId: 'ask1' });
});

test('regex predicates: a non-string or absent arg does not match and is not unevaluable; each result is its own', () => {
  const d = doc([{ id: 'rx', effect: 'deny', agents: ['*'], tools: ['*'], when: { arg: 's', regex: '^a' } }]);
  for (const args of [{}, { s: 1 }, { s: ['a'] }, { s: null }, 'a', null, ['a']]) {
    assert.deepEqual(evaluate(d, call({ args })), { effect: 'allow', ruleId: 'default:allow' }, JSON.stringify(args));
  }
  assert.deepEqual(evaluate(d, call({ args: { s: 'abc' } })), { effect: 'deny', ruleId: 'rx' });
  assert.deepEqual(evaluate(d, call({ args: { s: 'bcd' } })), { effect: 'allow', ruleId: 'default:allow' });
  const two = doc([
    { id: 'r1', effect: 'require_approval', agents: ['*'], tools: ['*'], when: { arg: 'a', regex: 'x$' } },
    { id: 'r2', effect: 'deny', agents: ['*'], tools: ['*'], when: { arg: 'b', regex: '^y' } },
  ]);
  assert.deepEqual(evaluate(two, call({ args: { a: 'ax', b: 'zz' } })), { effect: 'require_approval', ruleId: 'r1' });
  assert.deepEqual(evaluate(two, call({ args: { a: 'aa', b: 'yy' } })), { effect: 'deny', ruleId: 'r2' });
  assert.deepEqual(evaluate(two, call({ args: { a: 'aa', b: 'zz' } })), { effect: 'allow', ruleId: 'default:allow' });
});

test('equals: arrays by length and order, objects by own keys, no array/object confusion, absent is not null', () => {
  const arr = doc([{ id: 'a', effect: 'deny', agents: ['*'], tools: ['*'], when: { arg: 'v', equals: [1, [2]] } }]);
  const hit = (d: PolicyDoc, v: unknown) => evaluate(d, call({ args: { v } })).effect === 'deny';
  assert.equal(hit(arr, [1, [2]]), true);
  for (const v of [[1], [1, [2], 3], [[2], 1], [1, 2], [1, [3]], { 0: 1, 1: [2] }, '1,2', null]) assert.equal(hit(arr, v), false, JSON.stringify(v));
  const obj = doc([{ id: 'o', effect: 'deny', agents: ['*'], tools: ['*'], when: { arg: 'v', equals: { k: 1, n: { m: 'x' } } } }]);
  assert.equal(hit(obj, { n: { m: 'x' }, k: 1 }), true);
  for (const v of [{ k: 1 }, { k: 1, n: { m: 'x' }, z: 0 }, { k: 1, n: { m: 'y' } }, { k: 1, z: { m: 'x' } }, [1, 2], null, 'x']) {
    assert.equal(hit(obj, v), false, JSON.stringify(v));
  }
  const inherited = Object.create({ k: 1 }) as Record<string, unknown>;
  inherited['n'] = { m: 'x' };
  inherited['z'] = 1;
  assert.equal(hit(obj, inherited), false, 'an inherited key is not an own key');
  const empty = doc([{ id: 'e', effect: 'deny', agents: ['*'], tools: ['*'], when: { arg: 'v', equals: {} } }]);
  assert.equal(hit(empty, {}), true);
  assert.equal(hit(empty, []), false, 'an array is not the empty object');
  const emptyArr = doc([{ id: 'ea', effect: 'deny', agents: ['*'], tools: ['*'], when: { arg: 'v', equals: [] } }]);
  assert.equal(hit(emptyArr, []), true);
  assert.equal(hit(emptyArr, {}), false);
  const nul = doc([{ id: 'n', effect: 'deny', agents: ['*'], tools: ['*'], when: { arg: 'v', equals: null } }]);
  assert.equal(evaluate(nul, call({ args: {} })).effect, 'allow', 'an absent arg never equals');
  assert.equal(hit(nul, null), true);
  assert.equal(hit(nul, 0), false);
});

test('range: non-finite numbers never match; bounds are inclusive each side', () => {
  const d = doc([{ id: 'r', effect: 'deny', agents: ['*'], tools: ['*'], when: { arg: 'n', min: -1, max: 1 } }]);
  const eff = (n: unknown) => evaluate(d, call({ args: { n } })).effect;
  assert.equal(eff(-1), 'deny');
  assert.equal(eff(1), 'deny');
  assert.equal(eff(-1.0001), 'allow');
  assert.equal(eff(1.0001), 'allow');
  assert.equal(eff(Number.NaN), 'allow');
  assert.equal(eff(Number.POSITIVE_INFINITY), 'allow');
  assert.equal(eff('0'), 'allow');
  const minOnly = doc([{ id: 'm', effect: 'deny', agents: ['*'], tools: ['*'], when: { arg: 'n', min: 5 } }]);
  assert.equal(evaluate(minOnly, call({ args: { n: 1e9 } })).effect, 'deny');
  assert.equal(evaluate(minOnly, call({ args: { n: 4 } })).effect, 'allow');
  assert.equal(evaluate(minOnly, call({ args: { n: Number.POSITIVE_INFINITY } })).effect, 'allow');
});
