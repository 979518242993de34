// admit() beyond the order of steps: check mode takes and counts nothing, the deny bodies
// (Retry-After, rule_id, errors, tool label), body shapes, approval-mode definition hash, the
// policy version, and session state (taint, cumulative risk) read for the root principal.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { summarize, type SessionCall, type SummaryWindows } from '../../../agent-gateway/policy/session.ts';
import { admit, principalOf, type Admission, type AdmissionRequest } from '../../../agent-gateway/tools/admission.ts';
import { admissionFixture } from './admission-fixture.ts';

const NOW = 1_800_000_000_000;

function setup(t: { after: (fn: () => void) => void }, raw: unknown, history: readonly SessionCall[] = []) {
  const asked: { principal: string; windows: SummaryWindows }[] = [];
  const f = admissionFixture(t, {
    policy: raw, now: NOW, breaker: { threshold: 1, windowMs: 60_000, cooldownMs: 45_000 }, rate: { capacity: 1, refillPerSecond: 0.5 },
    governance: () => ({ summary: (principal, windows) => { asked.push({ principal, windows }); return summarize(history, windows); } }),
  });
  return { deps: f.deps, asked, killSwitch: f.killSwitch, registry: f.registry, version: f.version };
}
const req = (over: Partial<AdmissionRequest> = {}): AdmissionRequest => ({
  agentId: 'a', scope: ['*'], body: { tool: 'echo', args: { text: 'hi' } }, mode: 'call', ...over,
});
function denied(a: Admission): Extract<Admission, { kind: 'deny' }> {
  assert.equal(a.kind, 'deny', JSON.stringify(a));
  return a as Extract<Admission, { kind: 'deny' }>;
}
const noRules = { rules: [{ id: 'no-secret', effect: 'deny', agents: ['*'], tools: ['echo'], when: { arg: 'text', prefix: 'secret' } }] };

test('principalOf: the root of the delegation chain, else the agent', () => {
  assert.equal(principalOf('a'), 'a');
  assert.equal(principalOf('a', []), 'a');
  assert.equal(principalOf('c', ['root', 'b']), 'root');
});

test('check mode takes no rate-limit token and counts no denial; a paused breaker and the kill switch still refuse', (t) => {
  const { deps, killSwitch } = setup(t, noRules);
  for (let i = 0; i < 3; i++) assert.equal(admit(deps, req({ mode: 'check' })).kind, 'allow');
  assert.equal(denied(admit(deps, req({ mode: 'check', scope: ['hash.*'] }))).tripped, false, 'a scope refusal in check mode is not counted');
  assert.equal(denied(admit(deps, req({ mode: 'check', body: { tool: 'echo', args: { text: 'secret' } } }))).tripped, false);
  assert.equal(admit(deps, req()).kind, 'allow', 'the one token (capacity 1) was still there, and the breaker is closed');
  const trip = denied(admit(deps, req({ agentId: 'p', scope: ['hash.*'] })));
  assert.equal(trip.tripped, true, 'a scope refusal of a call counts (threshold 1)');
  const paused = denied(admit(deps, req({ agentId: 'p', mode: 'check' })));
  assert.equal(paused.step, 'circuit_breaker');
  assert.equal(paused.error.code, 'GW_ERR_AGENT_PAUSED');
  assert.equal(paused.error.headers['Retry-After'], '45');
  assert.equal(paused.toolLabel, 'echo');
  assert.equal(paused.tripped, false);
  killSwitch.activate('drill', 'admin:a');
  const ks = denied(admit(deps, req({ agentId: 'q', mode: 'check', body: { tool: 'nosuch' } })));
  assert.equal(ks.step, 'kill_switch');
  assert.equal(ks.toolLabel, 'unknown', 'an unregistered name is never echoed as the label');
  assert.equal(ks.error.extras['rule_id'], 'default');
});

test('the rate-limit deny carries Retry-After and the default rule id; the policy version is the document hash', (t) => {
  const { deps, version } = setup(t, noRules);
  const ok = admit(deps, req());
  assert.equal(ok.kind === 'allow' ? ok.policyVersion : '', version);
  const rl = denied(admit(deps, req()));
  assert.equal(rl.step, 'rate_limit');
  assert.equal(rl.error.code, 'GW_ERR_RATE_LIMITED');
  assert.equal(rl.error.headers['Retry-After'], '2', 'one token at 0.5/s');
  assert.equal(rl.error.extras['rule_id'], 'default');
  assert.equal(rl.ruleId, 'default');
  assert.equal(rl.policyVersion, version);
  assert.equal(rl.argsSha256, undefined, 'only a policy deny carries the args digest');
});

test('body shapes: only {tool, args}, tool required; a non-string or over-long name is refused at tool_name', (t) => {
  const { deps } = setup(t, noRules);
  for (const body of [null, [], 'x', { args: {} }, { tool: 'echo', args: { text: 'a' }, extra: 1 }]) {
    const d = denied(admit(deps, req({ agentId: `b${JSON.stringify(body)}`, body })));
    assert.equal(d.step, 'body', JSON.stringify(body));
    assert.equal(d.error.code, 'GW_ERR_VALIDATION');
    assert.deepEqual(d.error.extras['errors'], [{ instancePath: '', message: 'must be an object with tool and args only' }]);
  }
  const num = denied(admit(deps, req({ agentId: 'n1', body: { tool: 7, args: {} } })));
  assert.equal(num.step, 'tool_name');
  assert.deepEqual(num.error.extras['errors'], [{ instancePath: '/tool', message: 'must be a string' }]);
  const long = denied(admit(deps, req({ agentId: 'n2', body: { tool: 'e'.repeat(300), args: {} } })));
  assert.equal(long.step, 'tool_name');
  assert.equal(long.toolLabel, 'unknown');
  const missingArgs = denied(admit(deps, req({ agentId: 'n3', body: { tool: 'echo' } })));
  assert.equal(missingArgs.step, 'validate', 'absent args are {} and fail the schema (text is required)');
  assert.equal(missingArgs.toolLabel, 'echo');
  const notFound = denied(admit(deps, req({ agentId: 'n4', body: { tool: 'no.such', args: {} } })));
  assert.equal(notFound.step, 'registry');
  assert.equal(notFound.error.code, 'GW_ERR_TOOL_NOT_FOUND');
  const forbidden = denied(admit(deps, req({ agentId: 'n5', body: { tool: 'echo', args: JSON.parse('{"constructor":{"prototype":{}}}') } })));
  assert.equal(forbidden.step, 'sanitize');
  assert.ok(Array.isArray(forbidden.error.extras['errors']) && (forbidden.error.extras['errors'] as unknown[]).length > 0);
});

test('the definition hash is checked only when re-admitting an approval, and a null stored hash fails closed', (t) => {
  const { deps, registry } = setup(t, { rules: [] });
  const def = String(registry.get('js.eval')?.definitionSha256);
  const body = { tool: 'js.eval', args: { code: 'return 1' } };
  assert.equal(admit(deps, req({ body, mode: 'approval' })).kind, 'pending', 'absent: not checked');
  assert.equal(admit(deps, req({ body, mode: 'approval', definitionSha256: def })).kind, 'pending');
  assert.equal(denied(admit(deps, req({ body, mode: 'approval', definitionSha256: null }))).step, 'tool_changed');
  const changed = denied(admit(deps, req({ body, mode: 'approval', definitionSha256: 'f'.repeat(64) })));
  assert.equal(changed.toolLabel, 'js.eval');
  assert.equal(changed.error.code, 'GW_ERR_TOOL_CHANGED');
  assert.equal(admit(deps, req({ body, definitionSha256: 'f'.repeat(64) })).kind, 'pending', 'a new call has no stored hash to compare');
});

test('taint: the root principal\'s summary is read over the window; the deny names the tainting call and until when', (t) => {
  const raw = { rules: [], taint: [{ id: 'no-exec-after-exec', on: ['exec:code'], block: ['exec:code'], window_seconds: 60 }] };
  const ran: SessionCall = { call_id: 'call-123', tool: 'js.eval', tags: ['exec:code'], risk: 'high', ts: NOW - 10_000 };
  const { deps, asked } = setup(t, raw, [ran]);
  const body = { tool: 'js.eval', args: { code: 'return 1' } };
  const d = denied(admit(deps, req({ agentId: 'child', chain: ['root', 'mid'], body })));
  assert.deepEqual(asked, [{ principal: 'root', windows: { tagsSinceMs: NOW - 60_000 } }]);
  assert.equal(d.step, 'policy');
  assert.equal(d.ruleId, 'no-exec-after-exec');
  assert.equal(d.taintedBy, 'call-123');
  assert.equal(d.error.extras['tainted_by'], 'call-123');
  assert.equal(d.error.extras['rule_id'], 'no-exec-after-exec');
  assert.equal(d.error.detail,
    `Denied by taint rule no-exec-after-exec: this agent ran call call-123 recently, which blocks this tool until ${new Date(NOW + 50_000).toISOString()}.`);
  assert.deepEqual(d.risk, { level: 'high', points: 0, score: 0 });
  assert.equal(d.tripped, true);
  assert.equal(admit(deps, req({ agentId: 'other', body: { tool: 'echo', args: { text: 'x' } } })).kind, 'allow', 'echo has no blocked tag');
});

test('cumulative risk: escalate makes a call pending with its risk view; past deny_at it is denied with the risk reason', (t) => {
  const raw = { rules: [], risk: { scores: { low: 1, medium: 2, high: 5, critical: 9 }, window_seconds: 30, escalate_at: 3, deny_at: 6 } };
  const h = (n: number): SessionCall[] => Array.from({ length: n }, (_, i) => ({ call_id: `c${i}`, tool: 'echo', tags: [], risk: 'low', ts: NOW - 1000 - i }));
  const pass = admit(setup(t, raw, h(1)).deps, req());
  assert.equal(pass.kind, 'allow');
  assert.deepEqual(pass.kind === 'allow' ? pass.risk : undefined, { level: 'low', points: 1, score: 1 });
  const esc = admit(setup(t, raw, h(3)).deps, req());
  assert.equal(esc.kind, 'pending');
  assert.equal(esc.ruleId, 'risk:escalate');
  assert.deepEqual(esc.kind === 'pending' ? esc.risk : undefined, { level: 'low', points: 1, score: 3 });
  const { deps, asked } = setup(t, raw, h(6));
  const d = denied(admit(deps, req()));
  assert.deepEqual(asked, [{ principal: 'a', windows: { riskSinceMs: NOW - 30_000, riskLevels: ['low', 'medium', 'high', 'critical'] } }]);
  assert.equal(d.ruleId, 'risk:deny');
  assert.equal(d.error.detail, 'Denied by risk:deny: this agent\'s cumulative risk is past the policy\'s deny_at; retry after the window slides.');
  assert.deepEqual(d.risk, { level: 'low', points: 1, score: 6 });
  assert.equal(d.taintedBy, undefined);
  assert.equal(d.error.extras['tainted_by'], undefined);
  const plain = denied(admit(setup(t, noRules).deps, req({ body: { tool: 'echo', args: { text: 'secret!' } } })));
  assert.equal(plain.error.detail, 'Denied by policy rule no-secret.');
  assert.equal(plain.risk, undefined, 'no session rules: no risk view on the deny');
});

test('each refusal says why in its detail; optional fields are absent (not undefined) when they do not apply', (t) => {
  const { deps, killSwitch, registry } = setup(t, noRules);
  const detail = (a: Admission) => denied(a).error.detail;
  const absent = (a: object, ...keys: string[]) => {
    for (const k of keys) assert.equal(Object.hasOwn(a, k), false, `${k} present on ${JSON.stringify(a)}`);
  };
  assert.equal(detail(admit(deps, req({ agentId: 'd1', body: [] }))), 'Send {tool, args}.');
  const scope = admit(deps, req({ agentId: 'd2', scope: ['hash.*'] }));
  assert.equal(detail(scope), 'This tool is not in the agent\'s scope.');
  absent(scope, 'argsSha256', 'taintedBy', 'risk');
  assert.equal(detail(admit(deps, req({ agentId: 'd2' }))), 'Too many denied calls; this agent is paused.');
  assert.equal(detail(admit(deps, req({ agentId: 'd3', body: { tool: 1 } }))), 'The tool name must be a string of 1 to 256 characters.');
  assert.equal(detail(admit(deps, req({ agentId: 'd4', body: { tool: 'no.such' } }))), 'No tool has that name.');
  assert.equal(detail(admit(deps, req({ agentId: 'd5', body: { tool: 'echo', args: JSON.parse('{"__proto__":1}') } }))), 'The args contain a forbidden key or structure.');
  const invalid = denied(admit(deps, req({ agentId: 'd6', body: { tool: 'echo', args: { text: 5 } } })));
  assert.equal(invalid.error.detail, 'The args do not match the tool\'s input schema.');
  assert.deepEqual(invalid.error.extras['errors'], [{ instancePath: '/text', message: 'must be string' }]);
  const def = String(registry.get('js.eval')?.definitionSha256);
  assert.notEqual(def, 'f'.repeat(64));
  assert.equal(detail(admit(deps, req({ agentId: 'd7', body: { tool: 'js.eval', args: { code: '1' } }, mode: 'approval', definitionSha256: 'f'.repeat(64) }))),
    'The tool\'s manifest or handler changed since this call was queued; it was not run. Reject it and let the agent call again.');
  admit(deps, req({ agentId: 'd8' }));
  assert.equal(detail(admit(deps, req({ agentId: 'd8' }))), 'This agent is calling too fast.');
  const policy = admit(deps, req({ agentId: 'd9', body: { tool: 'echo', args: { text: 'secret' } } }));
  absent(policy, 'taintedBy', 'risk');
  absent(denied(policy).error.extras, 'tainted_by');
  killSwitch.activate('drill', 'admin:a');
  const ks = admit(deps, req({ agentId: 'd10' }));
  absent(ks, 'argsSha256', 'taintedBy', 'risk');
  assert.equal(denied(ks).error.code, 'GW_ERR_KILL_SWITCH');
});

test('without governance state, session rules see an empty history (no throw)', (t) => {
  const raw = { rules: [], risk: { scores: { low: 4, medium: 2, high: 5, critical: 9 }, window_seconds: 30, escalate_at: 3, deny_at: 6 } };
  const { deps } = setup(t, raw);
  const { governance: _g, ...noGov } = deps;
  const a = admit(noGov, req());
  assert.equal(a.kind, 'pending', 'this call alone (4) is past escalate_at (3)');
  assert.equal(a.ruleId, 'risk:escalate');
  assert.deepEqual(a.kind === 'pending' ? a.risk : undefined, { level: 'low', points: 4, score: 0 });
});
