/**
 * Audit-or-refuse: with an audit sink that cannot write, every state-changing admin route
 * answers 503 GW_ERR_AUDIT_UNAVAILABLE and the change is NOT applied (users, agents, policy,
 * approvals config, kill switch, alerts config, provider keys, approval decisions). Once the
 * sink works again the same request succeeds.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { EventSink } from '../../agent-gateway/events.ts';
import { call, createAgent, loginAdmin, startGateway, type TestGateway } from '../support/gateway.ts';

describe('audit-or-refuse on every state-changing admin route', () => {
  let gw: TestGateway;
  let admin: string;
  let failing = false;
  const wrap = (real: EventSink): EventSink => ({
    record: (event) => (failing ? Promise.reject(new Error('disk full (injected)')) : real.record(event)),
  });
  before(async () => {
    gw = await startGateway({ wrapEvents: wrap });
    admin = (await loginAdmin(gw.url)).token;
  });
  after(() => gw.stop(true));

  const refused = async (method: string, path: string, body?: unknown) => {
    failing = true;
    try {
      const res = await call(gw.url, method, path, { token: admin, ...(body === undefined ? {} : { body }) });
      assert.equal(res.status, 503, `${method} ${path}: ${res.text}`);
      assert.equal(res.body.code, 'GW_ERR_AUDIT_UNAVAILABLE');
    } finally {
      failing = false;
    }
  };
  const get = async (path: string) => (await call(gw.url, 'GET', path, { token: admin })).body;

  test('PUT /admin/policy: 503 and the version does not move', async () => {
    const before = (await get('/admin/policy')).version;
    await refused('PUT', '/admin/policy', { rules: [{ id: 'r1', effect: 'allow', agents: ['*'], tools: ['echo'] }] });
    assert.equal((await get('/admin/policy')).version, before);
    const ok = await call(gw.url, 'PUT', '/admin/policy', { token: admin, body: { rules: [] } });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.version, before + 1);
    const line = (await get('/admin/audit?event=policy.update&limit=10')).entries.at(-1);
    assert.equal(line.data.version, before + 1, 'the line written before the change names the version it became');
  });

  test('kill switch on and off: 503 and the state does not change', async () => {
    await refused('POST', '/admin/kill-switch', { reason: 'drill' });
    assert.equal((await get('/admin/kill-switch')).active, false);
    assert.equal((await call(gw.url, 'POST', '/admin/kill-switch', { token: admin, body: { reason: 'drill' } })).status, 200);
    await refused('DELETE', '/admin/kill-switch');
    assert.equal((await get('/admin/kill-switch')).active, true);
    assert.equal((await call(gw.url, 'DELETE', '/admin/kill-switch', { token: admin })).status, 200);
  });

  test('users: create, password change and delete are refused and not applied', async () => {
    await refused('POST', '/admin/users', { username: 'ghost', password: 'ghost password 1', role: 'user' });
    assert.equal((await get('/admin/users')).users.some((u: { username: string }) => u.username === 'ghost'), false);
    assert.equal((await call(gw.url, 'POST', '/admin/users', { token: admin, body: { username: 'ghost', password: 'ghost password 1', role: 'user' } })).status, 201);
    await refused('POST', '/admin/users/ghost/password', { password: 'ghost password 2' });
    assert.equal((await call(gw.url, 'POST', '/admin/login', { body: { username: 'ghost', password: 'ghost password 1' } })).status, 200, 'old password still valid');
    await refused('DELETE', '/admin/users/ghost');
    assert.equal((await get('/admin/users')).users.some((u: { username: string }) => u.username === 'ghost'), true);
  });

  test('agents: create and delete are refused and not applied', async () => {
    await refused('POST', '/admin/agents', { agent_id: 'phantom', tools: ['echo'] });
    assert.equal((await get('/admin/agents')).agents.some((a: { agent_id: string }) => a.agent_id === 'phantom'), false);
    const token = await createAgent(gw.url, admin, 'phantom', ['echo']);
    await refused('DELETE', '/admin/agents/phantom');
    const still = await call(gw.url, 'POST', '/tools/call', { token, body: { tool: 'echo', args: { text: 'x' } } });
    assert.equal(still.status, 200, 'the agent was not deleted');
  });

  test('approvals config and alerts config: refused and unchanged', async () => {
    const cfg = await get('/admin/approvals/config');
    await refused('PUT', '/admin/approvals/config', { timeout_seconds: cfg.timeout_seconds + 60 });
    assert.deepEqual(await get('/admin/approvals/config'), cfg);
    const alerts = await get('/admin/alerts/config');
    await refused('PUT', '/admin/alerts/config', { validation_error_threshold: alerts.validation_error_threshold + 7 });
    assert.deepEqual(await get('/admin/alerts/config'), alerts);
  });

  test('provider keys: put, rotate and delete refused and not applied', async () => {
    const stored = async () => (await get('/admin/providers')).providers.find((p: { name: string }) => p.name === 'openai').stored;
    assert.equal(await stored(), false);
    await refused('PUT', '/admin/providers/openai/key', { key: 'sk-test-0123456789', ttl_days: 30 });
    assert.equal(await stored(), false);
    assert.equal((await call(gw.url, 'PUT', '/admin/providers/openai/key', { token: admin, body: { key: 'sk-test-0123456789', ttl_days: 30 } })).status, 200);
    const before = (await get('/admin/providers')).providers.find((p: { name: string }) => p.name === 'openai');
    await refused('POST', '/admin/providers/openai/rotate', { key: 'sk-test-abcdefghij', ttl_days: 60 });
    assert.deepEqual((await get('/admin/providers')).providers.find((p: { name: string }) => p.name === 'openai'), before);
    await refused('DELETE', '/admin/providers/openai/key');
    assert.equal(await stored(), true);
  });

  test('a call needing approval: 503 and nothing is queued when its pending line cannot be written', async () => {
    const bot = await createAgent(gw.url, admin, 'unqueued', ['js.eval']);
    failing = true;
    let res;
    try {
      res = await call(gw.url, 'POST', '/tools/call', { token: bot, body: { tool: 'js.eval', args: { code: 'return 1' } } });
    } finally {
      failing = false;
    }
    assert.equal(res.status, 503);
    assert.equal(res.body.code, 'GW_ERR_AUDIT_UNAVAILABLE');
    const items = (await get('/approvals?status=pending')).items.filter((i: { agent_id: string }) => i.agent_id === 'unqueued');
    assert.deepEqual(items, [], 'no approval item exists without its audit line');
  });

  test('approval decisions: approve and reject refused, the item stays pending and nothing runs', async () => {
    const bot = await createAgent(gw.url, admin, 'queued', ['js.eval']);
    const q = (await call(gw.url, 'POST', '/tools/call', { token: bot, body: { tool: 'js.eval', args: { code: 'return 1' } } })).body;
    await refused('POST', `/approvals/${q.approval_id}/approve`);
    assert.equal((await get(`/approvals/${q.approval_id}`)).status, 'pending');
    assert.equal((await get(`/tools/calls/${q.call_id}`)).status, 'pending_approval');
    await refused('POST', `/approvals/${q.approval_id}/reject`);
    assert.equal((await get(`/approvals/${q.approval_id}`)).status, 'pending');
    const ok = await call(gw.url, 'POST', `/approvals/${q.approval_id}/approve`, { token: admin });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.call.result, 1);
  });
});
