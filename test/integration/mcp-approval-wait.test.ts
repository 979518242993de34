/**
 * PALISADE_MCP_APPROVAL_WAIT_SECONDS > 0: an MCP tools/call that needs approval waits for the
 * admin's decision (made over REST) and returns the executed result, or approval_rejected.
 * A client that disconnects while waiting cancels nothing and leaves no listener behind.
 * Official client, real gateway, real approval queue.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { call, createAgent, loginAdmin, startGateway, type TestGateway } from '../support/gateway.ts';
import { connectMcp, eventually, type Era } from '../support/mcp-client.ts';

type ToolResult = { isError?: boolean; structuredContent?: any; content: Array<{ type: string; text?: string }>; _meta?: any };

describe('MCP calls that wait for approval', () => {
  let gw: TestGateway;
  let admin: string;
  let token: string;

  before(async () => {
    gw = await startGateway({ env: { PALISADE_MCP_APPROVAL_WAIT_SECONDS: '30' } });
    admin = (await loginAdmin(gw.url)).token;
    token = await createAgent(gw.url, admin, 'waiter', ['js.eval']);
  });
  after(async () => gw?.stop(true));

  /** The pending approval the agent's call created (admin view). */
  const pendingItem = () => eventually(async () => {
    const res = await call(gw.url, 'GET', '/approvals?status=pending', { token: admin });
    return (res.body.items as Array<{ id: string; call_id: string; agent_id: string }>).find((i) => i.agent_id === 'waiter');
  }, 10_000, 'the queued approval');

  for (const era of ['2026-07-28', '2025-06-18'] as Era[]) {
    test(`${era}: approved over REST while the call waits → the same call returns its result`, async () => {
      const client = await connectMcp(gw.url, token, { era });
      try {
        const result = client.callTool({ name: 'js.eval', arguments: { code: 'return input * 2', input: 21 } }) as Promise<ToolResult>;
        const item = await pendingItem();
        const approved = await call(gw.url, 'POST', `/approvals/${item.id}/approve`, { token: admin, body: {} });
        assert.ok(approved.status === 200 || approved.status === 202, approved.text);
        const r = await result;
        assert.notEqual(r.isError, true, JSON.stringify(r));
        assert.deepEqual(r.structuredContent, { result: 42 });
        assert.equal(r.content[0]?.text, '42');
        assert.equal(r._meta?.call_id, item.call_id);
      } finally {
        await client.close();
      }
    });
  }

  test('rejected over REST while waiting → isError approval_rejected, nothing ran', async () => {
    const client = await connectMcp(gw.url, token);
    try {
      const result = client.callTool({ name: 'js.eval', arguments: { code: 'return 1' } }) as Promise<ToolResult>;
      const item = await pendingItem();
      assert.equal((await call(gw.url, 'POST', `/approvals/${item.id}/reject`, { token: admin, body: { note: 'no' } })).status, 200);
      const r = await result;
      assert.equal(r.isError, true);
      assert.equal(r.structuredContent.status, 'approval_rejected');
      assert.equal(r.structuredContent.approval_id, item.id);
      const rec = await call(gw.url, 'GET', `/tools/calls/${item.call_id}`, { token });
      assert.equal(rec.body.status, 'rejected');
    } finally {
      await client.close();
    }
  });

  test('a client asking for progress gets progress notifications while it waits', async () => {
    const client = await connectMcp(gw.url, token);
    try {
      const seen: Array<{ progress: number; message?: string | undefined }> = [];
      let resolveFirst: () => void = () => {};
      const first = new Promise<void>((r) => { resolveFirst = r; });
      const result = client.callTool({ name: 'js.eval', arguments: { code: 'return "done"' } }, {
        onprogress: (p) => {
          seen.push(p);
          resolveFirst();
        },
        resetTimeoutOnProgress: true,
      }) as Promise<ToolResult>;
      const item = await pendingItem();
      await first;
      assert.equal(seen[0]?.progress, 1);
      assert.match(String(seen[0]?.message), new RegExp(item.id));
      await call(gw.url, 'POST', `/approvals/${item.id}/approve`, { token: admin, body: {} });
      assert.deepEqual((await result).structuredContent, { result: 'done' });
    } finally {
      await client.close();
    }
  });

  test('a client that disconnects while waiting cancels nothing and leaks no listener; the admin can still approve', async () => {
    const events = gw.gateway.tools.approvalEvents;
    const baseline = events.size;
    const client = await connectMcp(gw.url, token);
    const ac = new AbortController();
    const result = client.callTool({ name: 'js.eval', arguments: { code: 'return 7' } }, { signal: ac.signal });
    result.catch(() => {});
    const item = await pendingItem();
    await eventually(() => (events.size > baseline ? true : undefined), 5_000, 'the wait to subscribe');
    ac.abort();
    await client.close();
    await assert.rejects(result);
    await eventually(() => (events.size === baseline ? true : undefined), 5_000, 'the listener to be removed');
    const still = await call(gw.url, 'GET', `/approvals/${item.id}`, { token: admin });
    assert.equal(still.body.status, 'pending');
    const approved = await call(gw.url, 'POST', `/approvals/${item.id}/approve`, { token: admin, body: {} });
    assert.ok(approved.status === 200 || approved.status === 202, approved.text);
    const rec = await eventually(async () => {
      const got = await call(gw.url, 'GET', `/tools/calls/${item.call_id}`, { token });
      return got.body?.status === 'ok' ? got.body : undefined;
    }, 15_000, 'the approved call to run');
    assert.equal(rec.result, 7);
    assert.equal(events.size, baseline);
  });
});
