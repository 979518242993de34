/**
 * Issue 19 item 9: engaging the kill switch stops sandbox jobs that are already running. A 3 s
 * js.eval running when the switch is engaged ends as SBX_ERR_KILLED (not ok), well before its 3 s
 * are up, audited as a tool.call with that code; after the switch is released the sandbox serves.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { call, createAgent, loginAdmin, startGateway } from '../support/gateway.ts';

const THREE_SECONDS = 'const end = Date.now() + 3000; while (Date.now() < end) {} return "finished"';

async function until(check: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('kill switch stops running sandbox jobs', () => {
  test('a 3 s js.eval running when the switch is engaged ends as SBX_ERR_KILLED, audited', async (t) => {
    const gw = await startGateway();
    t.after(() => gw.stop(true));
    const admin = (await loginAdmin(gw.url)).token;
    const agent = await createAgent(gw.url, admin, 'runner', ['js.eval']);
    const policy = await call(gw.url, 'PUT', '/admin/policy', {
      token: admin, body: { rules: [{ id: 'eval-ok', effect: 'allow', agents: ['runner'], tools: ['js.eval'] }] },
    });
    assert.equal(policy.status, 200);

    const began = Date.now();
    const pending = call(gw.url, 'POST', '/tools/call', { token: agent, body: { tool: 'js.eval', args: { code: THREE_SECONDS } } });
    await until(() => gw.gateway.tools.calls.forAgent('runner').some((c) => c.status === 'running'), 10_000);
    const engaged = await call(gw.url, 'POST', '/admin/kill-switch', { token: admin, body: { reason: 'stop everything' } });
    assert.equal(engaged.status, 200, engaged.text);

    const res = await pending;
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.status, 'error', JSON.stringify(res.body));
    assert.equal(res.body.error.code, 'SBX_ERR_KILLED');
    assert.ok(Date.now() - began < 2900, `stopped before its 3 s were up (${Date.now() - began} ms)`);

    const log = await call(gw.url, 'GET', '/admin/audit?event=tool.call&limit=100', { token: admin });
    const entry = log.body.entries.find((e: { data?: { call_id?: string } }) => e.data?.call_id === res.body.call_id);
    assert.equal(entry?.data?.error_code, 'SBX_ERR_KILLED', JSON.stringify(entry));
    assert.equal(gw.gateway.tools.calls.get(res.body.call_id)?.status, 'error');

    const released = await call(gw.url, 'DELETE', '/admin/kill-switch', { token: admin });
    assert.equal(released.status, 200);
    const after = await call(gw.url, 'POST', '/tools/call', { token: agent, body: { tool: 'js.eval', args: { code: 'return 2' } } });
    assert.deepEqual([after.status, after.body.result], [200, 2], after.text);
  });
});
