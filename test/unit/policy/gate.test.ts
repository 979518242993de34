import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../../../agent-gateway/store/db.ts';
import { POLICY_MIGRATIONS } from '../../../agent-gateway/policy/schema.ts';
import { PolicyStore } from '../../../agent-gateway/policy/store.ts';
import { KillSwitchStore } from '../../../agent-gateway/policy/kill-switch.ts';
import { AgentCircuitBreaker } from '../../../agent-gateway/policy/circuit-breaker.ts';
import { AgentRateLimiter } from '../../../agent-gateway/policy/rate-limit.ts';
import { gateToolCall, type GateDeps } from '../../../agent-gateway/policy/gate.ts';
import { validatePolicy } from '../../../agent-gateway/policy/validate.ts';

function setup(t: { after: (fn: () => void) => void }) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'palisade-gate-'));
  const db = openDatabase(dir, POLICY_MIGRATIONS);
  t.after(() => {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const clock = { now: 0 };
  const policy = new PolicyStore(db);
  const r = validatePolicy({ rules: [
    { id: 'no-etc', effect: 'deny', agents: ['*'], tools: ['fs.read'], when: { arg: 'path', prefix: '/etc/' } },
    { id: 'ask-net', effect: 'require_approval', agents: ['*'], tools: ['net.*'] },
  ] });
  assert.ok(r.ok);
  policy.put(r.doc, 'admin:alice');
  const deps: GateDeps = {
    killSwitch: new KillSwitchStore(db),
    breaker: new AgentCircuitBreaker({ threshold: 2, windowMs: 60_000, cooldownMs: 30_000 }, { now: () => clock.now }),
    rateLimiter: new AgentRateLimiter({ capacity: 5, refillPerSecond: 1 }, { now: () => clock.now }),
    policy,
  };
  return { deps, clock, killSwitch: deps.killSwitch as KillSwitchStore };
}
const low = { risk: 'low', requires_approval: false } as const;

test('allow, require_approval and deny carry the rule id and policy version', (t) => {
  const { deps } = setup(t);
  assert.deepEqual(gateToolCall(deps, { agentId: 'a', tool: 'fs.read', args: { path: '/tmp/x' }, manifest: low }), { ok: true, effect: 'allow', ruleId: 'default:allow', policyVersion: 1 });
  assert.deepEqual(gateToolCall(deps, { agentId: 'a', tool: 'net.get', args: {}, manifest: low }), { ok: true, effect: 'require_approval', ruleId: 'ask-net', policyVersion: 1 });
  assert.deepEqual(gateToolCall(deps, { agentId: 'a', tool: 'fs.read', args: { path: '/etc/shadow' }, manifest: low }), { ok: false, code: 'GW_ERR_POLICY_DENIED', ruleId: 'no-etc', policyVersion: 1, tripped: false });
});

test('the kill switch refuses every call before anything else', (t) => {
  const { deps, killSwitch } = setup(t);
  killSwitch.activate('incident', 'admin:alice');
  assert.deepEqual(gateToolCall(deps, { agentId: 'a', tool: 'fs.read', args: {}, manifest: low }), { ok: false, code: 'GW_ERR_KILL_SWITCH' });
  killSwitch.deactivate('admin:alice');
  assert.equal(gateToolCall(deps, { agentId: 'a', tool: 'fs.read', args: {}, manifest: low }).ok, true);
});

test('repeated denials pause the agent (GW_ERR_AGENT_PAUSED) until the cool-down ends', (t) => {
  const { deps, clock } = setup(t);
  const bad = { agentId: 'a', tool: 'fs.read', args: { path: '/etc/x' }, manifest: low };
  assert.equal(gateToolCall(deps, bad).ok, false);
  const second = gateToolCall(deps, bad);
  assert.deepEqual(second, { ok: false, code: 'GW_ERR_POLICY_DENIED', ruleId: 'no-etc', policyVersion: 1, tripped: true });
  assert.deepEqual(gateToolCall(deps, { ...bad, args: { path: '/tmp/ok' } }), { ok: false, code: 'GW_ERR_AGENT_PAUSED', retryAfterSeconds: 30 });
  assert.equal(gateToolCall(deps, { ...bad, agentId: 'b', args: {} }).ok, true, 'other agents unaffected');
  clock.now += 30_000;
  assert.equal(gateToolCall(deps, { ...bad, args: { path: '/tmp/ok' } }).ok, true);
});

test('an agent over its rate limit gets GW_ERR_RATE_LIMITED with Retry-After seconds', (t) => {
  const { deps } = setup(t);
  const call = { agentId: 'a', tool: 'fs.read', args: {}, manifest: low };
  for (let i = 0; i < 5; i++) assert.equal(gateToolCall(deps, call).ok, true);
  assert.deepEqual(gateToolCall(deps, call), { ok: false, code: 'GW_ERR_RATE_LIMITED', retryAfterSeconds: 1 });
});
