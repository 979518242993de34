/**
 * Issue 18.15: PALISADE_AGENT_RATE_LIMIT sets the default per-agent token bucket; POST
 * /admin/agents may give one agent its own `rate_limit` within the documented maximum; GET
 * /admin/agents shows each agent's effective bucket and where it comes from.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AGENT_RATE_LIMIT_MAX, parseConfig, parseRateLimit } from '../../agent-gateway/config.ts';
import { call, loginAdmin, startGateway, type TestGateway } from '../support/gateway.ts';

let gw: TestGateway;
let admin: string;

before(async () => {
  gw = await startGateway({ env: { PALISADE_AGENT_RATE_LIMIT: '3/0.001' } });
  admin = (await loginAdmin(gw.url)).token;
});
after(async () => {
  await gw.stop(true);
});

async function statuses(token: string, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await call(gw.url, 'POST', '/tools/call', { token, body: { tool: 'echo', args: { text: 'x' } } })).status);
  return out;
}

describe('per-agent rate limits', () => {
  test('the configured default applies: 3 calls, then 429', async () => {
    const created = await call(gw.url, 'POST', '/admin/agents', { token: admin, body: { agent_id: 'plain', tools: ['echo'] } });
    assert.equal(created.status, 201, created.text);
    assert.deepEqual(await statuses(created.body.token, 4), [200, 200, 200, 429]);
  });

  test('an agent created with its own rate_limit gets that bucket, shown in GET /admin/agents', async () => {
    const created = await call(gw.url, 'POST', '/admin/agents', { token: admin, body: { agent_id: 'busy', tools: ['echo'], rate_limit: { burst: 8, per_second: 0.001 } } });
    assert.equal(created.status, 201, created.text);
    const got = await statuses(created.body.token, 9);
    assert.deepEqual(got, [200, 200, 200, 200, 200, 200, 200, 200, 429]);
    const list = await call(gw.url, 'GET', '/admin/agents', { token: admin });
    const by = new Map<string, { rate_limit: unknown }>(list.body.agents.map((a: { agent_id: string }) => [a.agent_id, a]));
    assert.deepEqual(by.get('busy')?.rate_limit, { burst: 8, per_second: 0.001, source: 'agent' });
    assert.deepEqual(by.get('plain')?.rate_limit, { burst: 3, per_second: 0.001, source: 'default' });
    const audit = await call(gw.url, 'GET', '/admin/audit?event=agent.create', { token: admin });
    assert.ok(JSON.stringify(audit.body).includes('"per_second":0.001'), 'the agent\'s own limit is audited with its creation');
  });

  test('a rate_limit above the documented maximum, or malformed, is a 422', async () => {
    for (const rate_limit of [{ burst: AGENT_RATE_LIMIT_MAX.burst + 1, per_second: 1 }, { burst: 1, per_second: AGENT_RATE_LIMIT_MAX.perSecond + 1 }, { burst: 0, per_second: 1 }, { burst: 5, per_second: 0 }, { burst: 5 }]) {
      const res = await call(gw.url, 'POST', '/admin/agents', { token: admin, body: { agent_id: 'too-fast', tools: ['echo'], rate_limit } });
      assert.equal(res.status, 422, JSON.stringify(rate_limit));
    }
  });
});

test('PALISADE_AGENT_RATE_LIMIT: BURST/PER_SECOND within the maximum; the default is 60/20', () => {
  assert.deepEqual(parseRateLimit('600/200'), { ok: true, burst: 600, perSecond: 200 });
  assert.deepEqual(parseRateLimit('5/0.5'), { ok: true, burst: 5, perSecond: 0.5 });
  for (const bad of ['60', '60/', '/20', '0/20', '60/0', '-1/5', '60/20/1', 'a/b', `${AGENT_RATE_LIMIT_MAX.burst + 1}/1`, `1/${AGENT_RATE_LIMIT_MAX.perSecond + 1}`]) {
    assert.equal(parseRateLimit(bad).ok, false, bad);
  }
  const def = parseConfig({});
  assert.ok(def.ok);
  if (def.ok) assert.deepEqual([def.config.governance.agentBurst, def.config.governance.agentRatePerSecond], [60, 20]);
  const bad = parseConfig({ PALISADE_AGENT_RATE_LIMIT: 'fast' });
  assert.ok(!bad.ok && bad.problems.some((p) => p.startsWith('PALISADE_AGENT_RATE_LIMIT: must be BURST/PER_SECOND')));
});
