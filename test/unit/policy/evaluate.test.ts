import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluate, type PolicyInput } from '../../../agent-gateway/policy/evaluate.ts';
import { validatePolicy } from '../../../agent-gateway/policy/validate.ts';
import { globMatch } from '../../../agent-gateway/policy/glob.ts';
import type { PolicyDoc } from '../../../agent-gateway/policy/types.ts';

function doc(rules: unknown[]): PolicyDoc {
  const r = validatePolicy({ rules });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.doc;
}
const low = { risk: 'low', requires_approval: false } as const;
const call = (over: Partial<PolicyInput> = {}): PolicyInput => ({ agentId: 'bot-1', tool: 'fs.read', args: {}, manifest: low, ...over });

test('with no rules a low-risk tool is allowed by default:allow', () => {
  assert.deepEqual(evaluate(doc([]), call()), { effect: 'allow', ruleId: 'default:allow' });
  assert.deepEqual(evaluate(doc([]), call({ manifest: { risk: 'medium', requires_approval: false } })), { effect: 'allow', ruleId: 'default:allow' });
});

test('with no matching rule a high-risk or requires_approval tool needs approval (default:approval)', () => {
  const d = doc([{ id: 'other', effect: 'deny', agents: ['*'], tools: ['net.*'] }]);
  assert.deepEqual(evaluate(d, call({ manifest: { risk: 'high', requires_approval: false } })), { effect: 'require_approval', ruleId: 'default:approval' });
  assert.deepEqual(evaluate(d, call({ manifest: { risk: 'low', requires_approval: true } })), { effect: 'require_approval', ruleId: 'default:approval' });
});

test('an explicit allow rule wins over the manifest default of require_approval', () => {
  const d = doc([{ id: 'trust-bot', effect: 'allow', agents: ['bot-1'], tools: ['fs.read'] }]);
  assert.deepEqual(evaluate(d, call({ manifest: { risk: 'high', requires_approval: true } })), { effect: 'allow', ruleId: 'trust-bot' });
});

test('an explicit deny wins over a low-risk manifest default', () => {
  const d = doc([{ id: 'no-fs', effect: 'deny', agents: ['*'], tools: ['fs.*'] }]);
  assert.deepEqual(evaluate(d, call()), { effect: 'deny', ruleId: 'no-fs' });
});

test('deny wins over allow and require_approval regardless of rule order', () => {
  const rules = [
    { id: 'a', effect: 'allow', agents: ['*'], tools: ['*'] },
    { id: 'q', effect: 'require_approval', agents: ['bot-*'], tools: ['fs.read'] },
    { id: 'd', effect: 'deny', agents: ['bot-?'], tools: ['fs.*'] },
  ];
  assert.deepEqual(evaluate(doc(rules), call()), { effect: 'deny', ruleId: 'd' });
  assert.deepEqual(evaluate(doc([...rules].reverse()), call()), { effect: 'deny', ruleId: 'd' });
});

test('require_approval wins over allow; the first rule of the winning effect names the decision', () => {
  const d = doc([
    { id: 'a', effect: 'allow', agents: ['*'], tools: ['*'] },
    { id: 'q1', effect: 'require_approval', agents: ['*'], tools: ['fs.*'] },
    { id: 'q2', effect: 'require_approval', agents: ['*'], tools: ['*'] },
  ]);
  assert.deepEqual(evaluate(d, call()), { effect: 'require_approval', ruleId: 'q1' });
  assert.deepEqual(evaluate(d, call({ tool: 'net.get' })), { effect: 'require_approval', ruleId: 'q2' });
});

test('rules only match their agents and tools', () => {
  const d = doc([{ id: 'd', effect: 'deny', agents: ['ops-*'], tools: ['fs.write'] }]);
  assert.equal(evaluate(d, call({ agentId: 'bot-1', tool: 'fs.write' })).ruleId, 'default:allow');
  assert.equal(evaluate(d, call({ agentId: 'ops-7', tool: 'fs.read' })).ruleId, 'default:allow');
  assert.equal(evaluate(d, call({ agentId: 'ops-7', tool: 'fs.write' })).ruleId, 'd');
});

test('prefix predicate matches strings with the prefix only', () => {
  const d = doc([{ id: 'etc', effect: 'deny', agents: ['*'], tools: ['*'], when: { arg: 'path', prefix: '/etc/' } }]);
  assert.equal(evaluate(d, call({ args: { path: '/etc/passwd' } })).effect, 'deny');
  assert.equal(evaluate(d, call({ args: { path: '/tmp/etc/' } })).effect, 'allow');
  assert.equal(evaluate(d, call({ args: { path: 42 } })).effect, 'allow');
  assert.equal(evaluate(d, call({ args: {} })).effect, 'allow');
  assert.equal(evaluate(d, call({ args: ['/etc/'] })).effect, 'allow');
});

test('equals predicate compares JSON values structurally, key order ignored', () => {
  const d = doc([{ id: 'eq', effect: 'deny', agents: ['*'], tools: ['*'], when: { arg: 'opts', equals: { a: 1, b: [true, null] } } }]);
  assert.equal(evaluate(d, call({ args: { opts: { b: [true, null], a: 1 } } })).effect, 'deny');
  assert.equal(evaluate(d, call({ args: { opts: { a: 1, b: [true, null], c: 0 } } })).effect, 'allow');
  assert.equal(evaluate(d, call({ args: { opts: { a: 1, b: [null, true] } } })).effect, 'allow');
  assert.equal(evaluate(d, call({ args: { opts: { a: '1', b: [true, null] } } })).effect, 'allow');
  const n = doc([{ id: 'null', effect: 'deny', agents: ['*'], tools: ['*'], when: { arg: 'x', equals: null } }]);
  assert.equal(evaluate(n, call({ args: { x: null } })).effect, 'deny');
  assert.equal(evaluate(n, call({ args: {} })).effect, 'allow');
});

test('predicates read own properties only, never the prototype chain', () => {
  const d = doc([{ id: 'p', effect: 'deny', agents: ['*'], tools: ['*'], when: { arg: 'constructor', equals: 'x' } }]);
  assert.equal(evaluate(d, call({ args: {} })).effect, 'allow');
  assert.equal(evaluate(d, call({ args: JSON.parse('{"constructor":"x"}') })).effect, 'deny');
});

test('regex predicate matches strings, not other types', () => {
  const d = doc([{ id: 're', effect: 'require_approval', agents: ['*'], tools: ['*'], when: { arg: 'host', regex: '\\.internal$' } }]);
  assert.equal(evaluate(d, call({ args: { host: 'db.internal' } })).ruleId, 're');
  assert.equal(evaluate(d, call({ args: { host: 'db.internal.example' } })).ruleId, 'default:allow');
  assert.equal(evaluate(d, call({ args: { host: ['db.internal'] } })).ruleId, 'default:allow');
});

test('numeric bounds are inclusive and need a finite number', () => {
  const d = doc([{ id: 'big', effect: 'deny', agents: ['*'], tools: ['*'], when: { arg: 'n', min: 10, max: 20 } }]);
  for (const [n, effect] of [[10, 'deny'], [20, 'deny'], [15.5, 'deny'], [9.99, 'allow'], [21, 'allow'], ['15', 'allow']] as const) {
    assert.equal(evaluate(d, call({ args: { n } })).effect, effect, String(n));
  }
  const onlyMax = doc([{ id: 'm', effect: 'deny', agents: ['*'], tools: ['*'], when: { arg: 'n', max: 0 } }]);
  assert.equal(evaluate(onlyMax, call({ args: { n: -1e9 } })).effect, 'deny');
});

test('all predicates of a when-array must hold', () => {
  const d = doc([{ id: 'both', effect: 'deny', agents: ['*'], tools: ['*'], when: [{ arg: 'a', equals: 1 }, { arg: 'b', prefix: 'x' }] }]);
  assert.equal(evaluate(d, call({ args: { a: 1, b: 'xy' } })).effect, 'deny');
  assert.equal(evaluate(d, call({ args: { a: 1, b: 'yx' } })).effect, 'allow');
  assert.equal(evaluate(d, call({ args: { a: 2, b: 'xy' } })).effect, 'allow');
});

test('a conditional allow does not override the approval default when its predicate fails', () => {
  const d = doc([{ id: 'small', effect: 'allow', agents: ['*'], tools: ['pay'], when: { arg: 'amount', max: 100 } }]);
  const risky = { risk: 'high', requires_approval: true } as const;
  assert.equal(evaluate(d, call({ tool: 'pay', args: { amount: 50 }, manifest: risky })).effect, 'allow');
  assert.deepEqual(evaluate(d, call({ tool: 'pay', args: { amount: 500 }, manifest: risky })), { effect: 'require_approval', ruleId: 'default:approval' });
});

test('a regex that backtracks catastrophically in JS runs in linear time (RE2) and still decides', () => {
  // was: a vm timeout turned it into deny; RE2 needs no timeout (policy/safe-regex.ts)
  const d = doc([{ id: 'slow', effect: 'deny', agents: ['*'], tools: ['*'], when: { arg: 's', regex: '^\\d*\\d*\\d*\\d*\\d*\\d*x$' } }]);
  const t0 = performance.now();
  assert.deepEqual(evaluate(d, call({ args: { s: '1'.repeat(60_000) } })), { effect: 'allow', ruleId: 'default:allow' });
  assert.deepEqual(evaluate(d, call({ args: { s: `${'1'.repeat(60_000)}x` } })), { effect: 'deny', ruleId: 'slow' });
  assert.ok(performance.now() - t0 < 5_000);
});

test('a subject longer than 64 KiB is not run through a regex and fails closed', () => {
  const d = doc([{ id: 'deny-secret', effect: 'deny', agents: ['*'], tools: ['*'], when: { arg: 's', regex: 'secret' } }]);
  assert.equal(evaluate(d, call({ args: { s: 'a'.repeat(70_000) } })).effect, 'deny');
  assert.equal(evaluate(d, call({ args: { s: 'a'.repeat(1000) } })).effect, 'allow');
});

test('glob * spans any characters including dots and ? matches exactly one', () => {
  const cases: [string, string, boolean][] = [
    ['*', '', true], ['*', 'anything.at:all', true], ['fs.*', 'fs.read', true], ['fs.*', 'fs', false],
    ['a?c', 'abc', true], ['a?c', 'ac', false], ['*.eval', 'js.eval', true], ['*a*b*', 'xxaxxbxx', true],
    ['*a*b*', 'xxbxxaxx', false], ['js.eval', 'js.evalx', false], ['exact', 'exact', true], ['a*', 'A', false],
    ['Bot-*', 'Bot-1', true], ['bot-*', 'Bot-1', false],
  ];
  for (const [g, t, want] of cases) assert.equal(globMatch(g, t), want, `${g} ~ ${t}`);
});

test('many regex predicates evaluated together each get their own result', () => {
  const d = doc([
    { id: 'a', effect: 'allow', agents: ['*'], tools: ['*'], when: [{ arg: 'x', regex: '^a' }, { arg: 'y', regex: 'z$' }] },
    { id: 'q', effect: 'require_approval', agents: ['*'], tools: ['*'], when: { arg: 'x', regex: '^b' } },
    { id: 'd', effect: 'deny', agents: ['*'], tools: ['*'], when: { arg: 'y', regex: '^no$' } },
  ]);
  assert.deepEqual(evaluate(d, call({ args: { x: 'abc', y: 'xyz' } })), { effect: 'allow', ruleId: 'a' });
  assert.deepEqual(evaluate(d, call({ args: { x: 'bcd', y: 'xyz' } })), { effect: 'require_approval', ruleId: 'q' });
  assert.deepEqual(evaluate(d, call({ args: { x: 'abc', y: 'no' } })), { effect: 'deny', ruleId: 'd' });
  assert.deepEqual(evaluate(d, call({ args: { x: 'abc', y: 'xy' } })), { effect: 'allow', ruleId: 'default:allow' });
});
