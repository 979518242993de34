// gatePreflight/gatePolicy beyond gateToolCall: an admin re-admission (agentCall false) leaves
// the agent's breaker and rate budget alone; session rules (taint, cumulative risk) turn an
// allow into a deny or an approval, with the reason, the tainting call and the risk view.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../../../agent-gateway/store/db.ts';
import { POLICY_MIGRATIONS } from '../../../agent-gateway/policy/schema.ts';
import { KillSwitchStore } from '../../../agent-gateway/policy/kill-switch.ts';
import { AgentCircuitBreaker } from '../../../agent-gateway/policy/circuit-breaker.ts';
import { AgentRateLimiter } from '../../../agent-gateway/policy/rate-limit.ts';
import { gatePolicy, gatePreflight, type SessionContext } from '../../../agent-gateway/policy/gate.ts';
import { summarize, type SessionCall, type SummaryWindows } from '../../../agent-gateway/policy/session.ts';
import { validatePolicy } from '../../../agent-gateway/policy/validate.ts';
import type { PolicyDoc } from '../../../agent-gateway/policy/types.ts';

function docOf(raw: unknown): PolicyDoc {
  const r = validatePolicy(raw);
  assert.ok(r.ok, JSON.stringify(r));
  return r.doc;
}

function setup(t: { after: (fn: () => void) => void }, raw: unknown = { rules: [] }) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'palisade-gate-session-'));
  const db = openDatabase(dir, POLICY_MIGRATIONS);
  t.after(() => {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const clock = { now: 0 };
  const doc = docOf(raw);
  const deps = {
    killSwitch: new KillSwitchStore(db),
    breaker: new AgentCircuitBreaker({ threshold: 1, windowMs: 60_000, cooldownMs: 30_000 }, { now: () => clock.now }),
    rateLimiter: new AgentRateLimiter({ capacity: 1, refillPerSecond: 0.001 }, { now: () => clock.now }),
    policy: { get: () => ({ version: 7, doc }) },
  };
  return { deps, clock };
}
const low = { risk: 'low', requires_approval: false } as const;
const high = { risk: 'high', requires_approval: false } as const;

test('agentCall false: no breaker check, no rate-limit token; the kill switch still refuses', (t) => {
  const { deps } = setup(t);
  deps.breaker.recordDenial('a'); // threshold 1: a is paused
  assert.equal(gatePreflight(deps, 'a').ok, false, 'a new call from a paused agent is refused');
  for (let i = 0; i < 5; i++) assert.deepEqual(gatePreflight(deps, 'a', { agentCall: false }), { ok: true });
  assert.deepEqual(gatePreflight(deps, 'b', { agentCall: false }), { ok: true });
  assert.deepEqual(gatePreflight(deps, 'b'), { ok: true }, 're-admissions took no token from b (capacity 1)');
  assert.equal(gatePreflight(deps, 'b').ok, false, 'b\'s one token is now used');
  deps.killSwitch.activate('drill', 'admin:x');
  assert.deepEqual(gatePreflight(deps, 'c', { agentCall: false }), { ok: false, code: 'GW_ERR_KILL_SWITCH' });
});

test('a rules deny at approve time (agentCall false) does not count towards the breaker', (t) => {
  const { deps } = setup(t, { rules: [{ id: 'no', effect: 'deny', agents: ['*'], tools: ['x'] }] });
  const input = { agentId: 'a', tool: 'x', args: {}, manifest: low };
  for (let i = 0; i < 3; i++) {
    assert.deepEqual(gatePolicy(deps, input, { agentCall: false }), { ok: false, code: 'GW_ERR_POLICY_DENIED', ruleId: 'no', policyVersion: 7, tripped: false });
  }
  assert.deepEqual(deps.breaker.check('a'), { ok: true }, 'still closed');
  assert.equal(gatePolicy(deps, input).ok, false);
  assert.equal(deps.breaker.check('a').ok, false, 'an agent call\'s deny opens it (threshold 1)');
});

test('a predicate that cannot be evaluated denies with reason predicate_unevaluable', (t) => {
  const { deps } = setup(t, { rules: [{ id: 'rx', effect: 'deny', agents: ['*'], tools: ['x'], when: { arg: 'q', regex: '^a+$' } }] });
  const d = gatePolicy(deps, { agentId: 'a', tool: 'x', args: { q: 'a'.repeat(2_000_000) }, manifest: low });
  assert.deepEqual(d, { ok: false, code: 'GW_ERR_POLICY_DENIED', ruleId: 'rx', policyVersion: 7, tripped: true, reason: 'predicate_unevaluable' });
});

const session = (history: readonly SessionCall[], now: number, tags: readonly string[] = []) => {
  const asked: SummaryWindows[] = [];
  const s: SessionContext = { tags, now, summary: (w) => { asked.push(w); return summarize(history, w); } };
  return { s, asked };
};
const call = (call_id: string, ts: number, risk: SessionCall['risk'], tags: readonly string[] = []): SessionCall => ({ call_id, tool: 't', tags, risk, ts });

test('without session rules the history is not read and the risk view is zero', (t) => {
  const { deps } = setup(t, { rules: [{ id: 'ask', effect: 'require_approval', agents: ['*'], tools: ['n.*'] }] });
  const { s, asked } = session([call('c1', 1, 'high')], 10_000);
  assert.deepEqual(gatePolicy(deps, { agentId: 'a', tool: 'x', args: {}, manifest: low }, { session: s }),
    { ok: true, effect: 'allow', ruleId: 'default:allow', policyVersion: 7, risk: { level: 'low', points: 0, score: 0 } });
  assert.deepEqual(gatePolicy(deps, { agentId: 'a', tool: 'n.get', args: {}, manifest: high }, { session: s }),
    { ok: true, effect: 'require_approval', ruleId: 'ask', policyVersion: 7, risk: { level: 'high', points: 0, score: 0 } });
  assert.deepEqual(asked, [], 'no window: the history is never asked for');
});

const riskDoc = {
  rules: [{ id: 'ask', effect: 'require_approval', agents: ['*'], tools: ['n.*'] }],
  risk: { scores: { low: 1, medium: 5, high: 10, critical: 50 }, window_seconds: 60, escalate_at: 10, deny_at: 20 },
};

test('cumulative risk: a summary since now - window is asked for; escalate, then deny (counted by the breaker)', (t) => {
  const { deps } = setup(t, riskDoc);
  const now = 1_000_000;
  const input = { agentId: 'a', tool: 'x', args: {}, manifest: low };
  const one = session([call('c1', now - 1000, 'medium')], now);
  assert.deepEqual(gatePolicy(deps, input, { session: one.s }),
    { ok: true, effect: 'allow', ruleId: 'default:allow', policyVersion: 7, risk: { level: 'low', points: 1, score: 5 } }, '5 + 1 is under escalate_at');
  assert.deepEqual(one.asked, [{ riskSinceMs: now - 60_000, riskLevels: ['low', 'medium', 'high', 'critical'] }]);
  // projected 11 > escalate_at 10 → require_approval named risk:escalate
  const two = session([call('c1', now - 1000, 'high'), call('c2', now - 500, 'low')], now);
  assert.deepEqual(gatePolicy(deps, input, { session: two.s }),
    { ok: true, effect: 'require_approval', ruleId: 'risk:escalate', policyVersion: 7, risk: { level: 'low', points: 1, score: 11 } });
  // projected 21 > deny_at 20 → deny risk:deny; agentCall (default) counts it
  const three = session([call('c1', now - 1000, 'high'), call('c2', now - 900, 'high')], now);
  assert.deepEqual(gatePolicy(deps, input, { session: three.s }),
    { ok: false, code: 'GW_ERR_POLICY_DENIED', ruleId: 'risk:deny', policyVersion: 7, tripped: true, reason: 'risk', risk: { level: 'low', points: 1, score: 20 } });
  assert.equal(deps.breaker.check('a').ok, false);
  // the same deny at approve time leaves the breaker of b alone
  const atApprove = gatePolicy(deps, { ...input, agentId: 'b' }, { session: three.s, agentCall: false });
  assert.equal(atApprove.ok, false);
  assert.equal(!atApprove.ok && atApprove.tripped, false);
  assert.deepEqual(deps.breaker.check('b'), { ok: true });
});

test('taint: a tainting call within the window denies a blocked tool, naming the call and until when', (t) => {
  const { deps } = setup(t, { rules: [], taint: [{ id: 'no-exfil', on: ['reads:secret'], block: ['net:egress'], window_seconds: 30 }] });
  const now = 500_000;
  const h = [call('c-old', now - 40_000, 'low', ['reads:secret']), call('c-new', now - 10_000, 'low', ['reads:secret']), call('c-x', now - 5_000, 'low', ['reads:public'])];
  const { s, asked } = session(h, now, ['net:egress']);
  assert.deepEqual(gatePolicy(deps, { agentId: 'a', tool: 'net.get', args: {}, manifest: low }, { session: s }), {
    ok: false, code: 'GW_ERR_POLICY_DENIED', ruleId: 'no-exfil', policyVersion: 7, tripped: true, reason: 'taint',
    taintedBy: 'c-new', taintedUntil: now - 10_000 + 30_000, risk: { level: 'low', points: 0, score: 0 },
  });
  assert.deepEqual(asked, [{ tagsSinceMs: now - 30_000 }]);
  const other = session(h, now, ['writes:local']);
  assert.equal(gatePolicy(deps, { agentId: 'b', tool: 'fs.read', args: {}, manifest: low }, { session: other.s }).ok, true, 'a tool without a blocked tag passes');
});
