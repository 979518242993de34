import assert from 'node:assert/strict';
import { test } from 'node:test';
import { argsSha256 } from '../../../agent-gateway/approvals/canonical.ts';
import { admit, type AdmissionRequest } from '../../../agent-gateway/tools/admission.ts';
import { admissionFixture } from './admission-fixture.ts';

function setup(t: { after: (fn: () => void) => void }) {
  const { deps, killSwitch, registry } = admissionFixture(t, {
    policy: { rules: [{ id: 'no-secret', effect: 'deny', agents: ['*'], tools: ['echo'], when: { arg: 'text', prefix: 'secret' } }] },
    breaker: { threshold: 2, windowMs: 60_000, cooldownMs: 60_000 }, rate: { capacity: 3, refillPerSecond: 0.001 },
  });
  return { deps, killSwitch, registry };
}
const req = (over: Partial<AdmissionRequest> = {}): AdmissionRequest => ({
  agentId: 'a', scope: ['echo', 'text.*', 'js.eval'], body: { tool: 'echo', args: { text: 'hi' } }, mode: 'call', ...over,
});
const step = (a: ReturnType<typeof admit>) => (a.kind === 'deny' ? `${a.step}:${a.error.code}:${a.ruleId}` : a.kind);

test('allow, pending and a policy deny name their rule; a deny body carries rule_id and the args digest is kept', (t) => {
  const { deps } = setup(t);
  const ok = admit(deps, req());
  assert.equal(ok.kind, 'allow');
  assert.equal(ok.kind === 'allow' ? ok.ruleId : '', 'default:allow');
  const pending = admit(deps, req({ body: { tool: 'js.eval', args: { code: 'return 1' } } }));
  assert.equal(pending.kind === 'pending' ? pending.ruleId : pending.kind, 'default:approval');
  const denied = admit(deps, req({ body: { tool: 'echo', args: { text: 'secret x' } } }));
  assert.equal(step(denied), 'policy:GW_ERR_POLICY_DENIED:no-secret');
  assert.ok(denied.kind === 'deny');
  assert.equal(denied.error.extras['rule_id'], 'no-secret');
  assert.equal(denied.argsSha256, argsSha256('echo', { text: 'secret x' }));
});

test('the order holds: kill switch before everything, then breaker, rate limit, body, scope, name, registry, args', (t) => {
  const { deps, killSwitch } = setup(t);
  killSwitch.activate('drill', 'admin:a');
  assert.equal(step(admit(deps, req({ body: 'garbage' }))), 'kill_switch:GW_ERR_KILL_SWITCH:default');
  killSwitch.deactivate('admin:a');
  assert.equal(step(admit(deps, req({ body: 'garbage' }))), 'body:GW_ERR_VALIDATION:default');
  assert.equal(step(admit(deps, req({ body: { tool: 'nowhere', args: {} } }))), 'scope:GW_ERR_TOOL_NOT_IN_SCOPE:default', 'unknown and out of scope: scope refuses first');
  const trip = admit(deps, req({ body: { tool: 'hash.digest', args: {} } }));
  assert.equal(step(trip), 'scope:GW_ERR_TOOL_NOT_IN_SCOPE:default');
  assert.equal(trip.kind === 'deny' && trip.tripped, true, 'the second denial opens the breaker (threshold 2)');
  assert.equal(step(admit(deps, req())), 'circuit_breaker:GW_ERR_AGENT_PAUSED:default');
  assert.equal(step(admit(deps, req({ agentId: 'b', body: { tool: 'text.nosuch', args: {} } }))), 'registry:GW_ERR_TOOL_NOT_FOUND:default', 'in scope but unknown');
  assert.equal(step(admit(deps, req({ agentId: 'b', body: { tool: 'echo', args: { text: 1 } } }))), 'validate:GW_ERR_VALIDATION:default');
  assert.equal(step(admit(deps, req({ agentId: 'b', body: { tool: 'echo', args: { text: 'x' } } }))), 'allow', 'b\'s third token');
  assert.equal(step(admit(deps, req({ agentId: 'b', body: { tool: 'echo', args: { text: 'x' } } }))), 'rate_limit:GW_ERR_RATE_LIMITED:default', 'b used its 3 tokens');
  assert.equal(step(admit(deps, req({ agentId: 'c', body: { tool: 'echo', args: JSON.parse('{"__proto__":{"x":1}}') } }))), 'sanitize:GW_ERR_FORBIDDEN_KEY:default');
});

test('approval mode: the kill switch and the definition hash apply; the agent\'s rate budget and breaker are left alone', (t) => {
  const { deps, killSwitch, registry } = setup(t);
  const def = String(registry.get('js.eval')?.definitionSha256);
  assert.match(String(def), /^[0-9a-f]{64}$/);
  const body = { tool: 'js.eval', args: { code: 'return 1' } };
  for (let i = 0; i < 10; i++) assert.equal(admit(deps, req({ body, mode: 'approval', definitionSha256: def })).kind, 'pending');
  assert.equal(admit(deps, req()).kind, 'allow', 'ten re-admissions took no token from the agent');
  assert.equal(step(admit(deps, req({ body, mode: 'approval', definitionSha256: '0'.repeat(64) }))), 'tool_changed:GW_ERR_TOOL_CHANGED:default');
  for (let i = 0; i < 3; i++) admit(deps, req({ agentId: 'd', body: { tool: 'echo', args: { text: 'secret' } }, mode: 'approval' }));
  assert.equal(admit(deps, req({ agentId: 'd' })).kind, 'allow', 'denials at approve time do not pause the agent');
  killSwitch.activate('drill', 'admin:a');
  assert.equal(step(admit(deps, req({ body, mode: 'approval', definitionSha256: def }))), 'kill_switch:GW_ERR_KILL_SWITCH:default');
});
