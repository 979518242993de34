/**
 * A caller that hangs up does not keep its place in the sandbox queue (issue 22, "degraded is
 * not down"; found by the bench's crash-load row): an allowed call still waiting for a worker
 * when its HTTP client goes away is dropped unrun and audited as SBX_ERR_ABORTED, so a client
 * that timed out and retried no longer finds its own abandoned calls filling its queue share
 * (16) and gets 503 GW_ERR_WORKERS_SATURATED. A call already running is left to finish: killing
 * it would let any client restart workers at will by hanging up, outside the fault ledger.
 * Through REST and through /mcp with the official client, against the real isolate backend.
 */
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { after, before, describe, test } from 'node:test';
import { call, createAgent, loginAdmin, startGateway, type TestGateway } from '../support/gateway.ts';
import { connectMcp, eventually } from '../support/mcp-client.ts';

/** the agent's queue share in the gateway (agent-gateway/gateway.ts: queueLimitPerPrincipal) */
const QUEUE_SHARE = 16;
/** isolate hosts one agent may use at once: one per core */
const RUN_SHARE = Math.max(1, availableParallelism());
const SLOW = 'const t = Date.now(); while (Date.now() - t < 2500) {} return "slow"';

describe('a caller that hangs up gives back its queue slot', () => {
  let gw: TestGateway;
  let admin: string;
  before(async () => {
    gw = await startGateway();
    admin = (await loginAdmin(gw.url)).token;
    const policy = await call(gw.url, 'PUT', '/admin/policy', {
      token: admin, body: { rules: [{ id: 'eval-ok', effect: 'allow', agents: ['rest-agent', 'mcp-agent'], tools: ['js.eval'] }] },
    });
    assert.equal(policy.status, 200, policy.text);
  });
  after(() => gw.stop(true));

  const post = (token: string, code: string, signal?: AbortSignal): Promise<Response> => fetch(`${gw.url}/tools/call`, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ tool: 'js.eval', args: { code } }), ...(signal === undefined ? {} : { signal }),
  });

  const withdrawnFor = async (agentId: string): Promise<number> => {
    const audit = await call(gw.url, 'GET', '/admin/audit?event=tool.call&limit=500', { token: admin });
    assert.equal(audit.status, 200, audit.text);
    return (audit.body.entries as Array<{ outcome: string; data: Record<string, unknown> }>)
      .filter((e) => e.data['agent_id'] === agentId && e.outcome === 'error' && e.data['error_code'] === 'SBX_ERR_ABORTED').length;
  };

  test('REST: abandoned queued calls leave the queue unrun; the next call is served, the running ones finish', async () => {
    const token = await createAgent(gw.url, admin, 'rest-agent', ['js.eval']);
    const slow = Array.from({ length: RUN_SHARE }, () => post(token, SLOW).then(async (r) => ({ status: r.status, body: await r.json() as { status: string; result: unknown } })));
    await new Promise((r) => setTimeout(r, 300)); // the slow calls hold every worker this agent may use
    const gone = new AbortController();
    const abandoned = Array.from({ length: QUEUE_SHARE }, () => post(token, 'return 0', gone.signal).catch(() => 'aborted'));
    await new Promise((r) => setTimeout(r, 700)); // all of them admitted and waiting in the queue
    gone.abort();
    assert.deepEqual(new Set(await Promise.all(abandoned)), new Set(['aborted']));
    await eventually(async () => ((await withdrawnFor('rest-agent')) === QUEUE_SHARE ? true : undefined), 10_000, `${QUEUE_SHARE} withdrawn calls audited`);

    const next = await post(token, 'return 2');
    const body = await next.json() as { status: string; result?: unknown };
    assert.equal(next.status, 200, `the agent's own abandoned calls no longer fill its queue share: ${JSON.stringify(body)}`);
    assert.deepEqual([body.status, body.result], ['ok', 2]);
    for (const s of await Promise.all(slow)) assert.deepEqual([s.status, s.body.status, s.body.result], [200, 'ok', 'slow']);
    assert.equal(await withdrawnFor('rest-agent'), QUEUE_SHARE, 'only the abandoned calls were withdrawn');
  });

  test('MCP: a tools/call the official client aborts while it waits is not run', async () => {
    const token = await createAgent(gw.url, admin, 'mcp-agent', ['js.eval']);
    const slow = Array.from({ length: RUN_SHARE }, () => post(token, SLOW).then((r) => r.status));
    await new Promise((r) => setTimeout(r, 300));
    const client = await connectMcp(gw.url, token);
    try {
      const gone = new AbortController();
      const waiting = client.callTool({ name: 'js.eval', arguments: { code: 'return 0' } }, { signal: gone.signal }).then(() => 'answered', () => 'aborted');
      await new Promise((r) => setTimeout(r, 700));
      gone.abort();
      assert.equal(await waiting, 'aborted');
      await eventually(async () => ((await withdrawnFor('mcp-agent')) === 1 ? true : undefined), 10_000, 'the withdrawn MCP call audited');
      const served = await client.callTool({ name: 'js.eval', arguments: { code: 'return 3' } });
      assert.notEqual(served.isError, true, JSON.stringify(served));
      assert.deepEqual(served.structuredContent, { result: 3 });
      assert.deepEqual(await Promise.all(slow), Array.from({ length: RUN_SHARE }, () => 200), 'the running calls finished');
    } finally {
      await client.close();
    }
  });
});
