/**
 * Policy validation of the session parts (policy/validate.ts): taint rules and the risk block,
 * exact problems (reserved ids, one id namespace with the rules, escalate above deny, ajv
 * bounds at their edges) and the stored form (tags sorted, policyToJson round trip).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { POLICY_LIMITS, policyToJson, validatePolicy } from '../../../agent-gateway/policy/validate.ts';

const rule = { id: 'r1', effect: 'allow', agents: ['*'], tools: ['*'] };
const taint = { id: 't1', on: ['reads:secret', 'reads:private'], block: ['net:egress'], window_seconds: 60 };
const risk = { scores: { low: 0, medium: 1, high: 5, critical: 50 }, window_seconds: 600, escalate_at: 10, deny_at: 10 };
const issues = (input: unknown) => {
  const v = validatePolicy(input);
  return v.ok ? [] : v.errors;
};

test('taint and risk are kept, tags sorted, and shown back as they were accepted', () => {
  const v = validatePolicy({ rules: [rule], taint: [taint], risk });
  assert.ok(v.ok);
  assert.deepEqual(v.doc.taint, [{ id: 't1', on: ['reads:private', 'reads:secret'], block: ['net:egress'], window_seconds: 60 }]);
  assert.deepEqual(v.doc.risk, risk);
  assert.equal(Object.isFrozen(v.doc.taint?.[0]?.on), true);
  assert.equal(Object.isFrozen(v.doc.risk?.scores), true);
  assert.deepEqual(policyToJson(v.doc), {
    taint: [{ id: 't1', on: ['reads:private', 'reads:secret'], block: ['net:egress'], window_seconds: 60 }],
    risk: { scores: { low: 0, medium: 1, high: 5, critical: 50 }, window_seconds: 600, escalate_at: 10, deny_at: 10 },
    rules: [{ id: 'r1', effect: 'allow', agents: ['*'], tools: ['*'] }],
  });
  const bare = validatePolicy({ rules: [] });
  assert.ok(bare.ok);
  assert.deepEqual(Object.keys(bare.doc), ['rules'], 'no taint or risk key when none was sent');
  assert.deepEqual(policyToJson(bare.doc), { rules: [] });
  const empty = validatePolicy({ rules: [], taint: [] });
  assert.ok(empty.ok);
  assert.deepEqual(empty.doc.taint, [], 'an empty taint list is kept as sent');
});

test('taint ids: default: and risk: are reserved, and they share one namespace with rule ids', () => {
  const reserved = 'ids starting with "default:" or "risk:" are reserved';
  assert.deepEqual(issues({ rules: [], taint: [{ ...taint, id: 'default:x' }] }), [{ instancePath: '/taint/0/id', message: reserved }]);
  assert.deepEqual(issues({ rules: [], taint: [taint, { ...taint, id: 'risk:y' }] }), [{ instancePath: '/taint/1/id', message: reserved }]);
  assert.deepEqual(issues({ rules: [rule], taint: [{ ...taint, id: 'r1' }] }),
    [{ instancePath: '/taint/0/id', message: 'duplicate rule id "r1" (taint and policy rule ids share one namespace)' }]);
  assert.deepEqual(issues({ rules: [], taint: [taint, taint] }),
    [{ instancePath: '/taint/1/id', message: 'duplicate rule id "t1" (taint and policy rule ids share one namespace)' }]);
  assert.deepEqual(issues({ rules: [rule, { ...rule, id: 'risk:z' }] }), [{ instancePath: '/rules/1/id', message: 'ids starting with "risk:" are reserved' }]);
});

test('risk: escalate_at above deny_at is refused; equal is accepted', () => {
  assert.deepEqual(issues({ rules: [], risk: { ...risk, escalate_at: 11 } }), [{ instancePath: '/risk/escalate_at', message: 'escalate_at must not exceed deny_at' }]);
  assert.equal(validatePolicy({ rules: [], risk }).ok, true);
});

test('session bounds at their edges: windows 1..7 days in whole seconds, scores 0..1 000 000, known tags once each', () => {
  const W = POLICY_LIMITS.windowSeconds;
  assert.equal(W, 604_800);
  for (const window_seconds of [1, W]) assert.equal(validatePolicy({ rules: [], taint: [{ ...taint, window_seconds }] }).ok, true, String(window_seconds));
  for (const window_seconds of [0, W + 1, 1.5, '60']) assert.notDeepEqual(issues({ rules: [], taint: [{ ...taint, window_seconds }] }), [], String(window_seconds));
  for (const s of [0, POLICY_LIMITS.riskScore]) assert.equal(validatePolicy({ rules: [], risk: { ...risk, escalate_at: s, deny_at: s } }).ok, true, String(s));
  for (const s of [-1, POLICY_LIMITS.riskScore + 1]) assert.notDeepEqual(issues({ rules: [], risk: { ...risk, deny_at: s } }), [], String(s));
  for (const bad of [[], ['reads:secret', 'reads:secret'], ['reads:nothing']]) assert.notDeepEqual(issues({ rules: [], taint: [{ ...taint, on: bad }] }), [], JSON.stringify(bad));
  assert.notDeepEqual(issues({ rules: [], risk: { ...risk, scores: { low: 0, medium: 1, high: 5 } } }), [], 'every level needs a score');
  assert.notDeepEqual(issues({ rules: [], risk: { ...risk, extra: 1 } }), []);
  assert.notDeepEqual(issues({ rules: [], taint: [{ ...taint, extra: 1 }] }), []);
  const many = Array.from({ length: POLICY_LIMITS.taintRules + 1 }, (_, i) => ({ ...taint, id: `t${i}` }));
  assert.notDeepEqual(issues({ rules: [], taint: many }), []);
  assert.equal(validatePolicy({ rules: [], taint: many.slice(0, POLICY_LIMITS.taintRules) }).ok, true);
});
