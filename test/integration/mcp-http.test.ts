/**
 * POST /mcp end to end with the official MCP client over Streamable HTTP against a real
 * gateway (isolate sandbox, temp data dir): the flow list → echo → schema-invalid →
 * out of scope → js.eval pending → approve over REST → kill switch → revoke → 401, then the
 * audit trail, one pipeline shared with REST, older protocol revisions, and the HTTP edge
 * (Origin, Host, tokens, body limits, malformed JSON-RPC, methods).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Client } from '@modelcontextprotocol/client';
import { call, createAgent, loginAdmin, startGateway, type TestGateway } from '../support/gateway.ts';
import { connectMcp, eventually, initializeBody, rawMcp } from '../support/mcp-client.ts';

type ToolResult = { isError?: boolean; structuredContent?: any; content: Array<{ type: string; text?: string }>; _meta?: any };

describe('POST /mcp with the official client', () => {
  let gw: TestGateway;
  let admin: string;
  let token: string;
  let client: Client;
  let mcpCalls = 0;
  const callTool = async (name: string, args?: Record<string, unknown>): Promise<ToolResult> => {
    mcpCalls += 1;
    return (await client.callTool({ name, ...(args === undefined ? {} : { arguments: args }) })) as ToolResult;
  };

  before(async () => {
    gw = await startGateway();
    admin = (await loginAdmin(gw.url)).token;
    token = await createAgent(gw.url, admin, 'bot', ['echo', 'js.eval', 'text.*']);
    client = await connectMcp(gw.url, token);
  });
  after(async () => {
    await client?.close();
    await gw?.stop(true);
  });

  test('tools/list: exactly the agent\'s scope (globs resolved), sorted, with schema and annotations from the manifest', async () => {
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((t) => t.name), ['echo', 'js.eval', 'text.transform']);
    const echo = tools.find((t) => t.name === 'echo');
    const manifest = gw.gateway.tools.registry.get('echo')?.manifest;
    assert.equal(echo?.description, manifest?.description);
    assert.deepEqual(echo?.inputSchema, manifest?.input_schema);
    assert.deepEqual(echo?.annotations, { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false });
    assert.equal(tools.find((t) => t.name === 'js.eval')?.annotations?.readOnlyHint, false);
    assert.ok(!JSON.stringify(tools).includes('hash.digest'), 'a tool outside the scope is never named');
  });

  test('tools/call echo: structuredContent is the result, one text item, the call_id in _meta', async () => {
    const r = await callTool('echo', { text: 'hello mcp' });
    assert.notEqual(r.isError, true);
    assert.deepEqual(r.structuredContent, { text: 'hello mcp' });
    assert.deepEqual(r.content.filter((c) => c.type === 'text').map((c) => c.text), [JSON.stringify({ text: 'hello mcp' })]);
    assert.match(String(r._meta?.call_id), /^call_/);
    const rec = await call(gw.url, 'GET', `/tools/calls/${r._meta.call_id}`, { token });
    assert.equal(rec.status, 200);
    assert.deepEqual(rec.body.result, { text: 'hello mcp' });
  });

  test('a schema-invalid call is isError GW_ERR_VALIDATION listing {instancePath, message}', async () => {
    const r = await callTool('echo', { text: 42 });
    assert.equal(r.isError, true);
    assert.equal(r.structuredContent.code, 'GW_ERR_VALIDATION');
    assert.ok(r.structuredContent.errors.some((e: any) => e.instancePath === '/text' && typeof e.message === 'string'));
    assert.match(r.content[0]?.text ?? '', /\/text/);
    const extra = await callTool('echo', { text: 'x', extra: true });
    assert.equal(extra.structuredContent.code, 'GW_ERR_VALIDATION');
  });

  test('out of scope and unknown tools answer the same GW_ERR_TOOL_NOT_IN_SCOPE (no existence oracle)', async () => {
    const existing = await callTool('hash.digest', { algorithm: 'sha256', data: 'x' });
    const missing = await callTool('no.such.tool', {});
    for (const r of [existing, missing]) {
      assert.equal(r.isError, true);
      assert.equal(r.structuredContent.code, 'GW_ERR_TOOL_NOT_IN_SCOPE');
    }
    assert.deepEqual(existing.structuredContent, missing.structuredContent);
  });

  test('js.eval needs approval: isError pending_approval; approved over REST it runs once and its result is readable', async () => {
    const r = await callTool('js.eval', { code: 'return input * 2', input: 21 });
    assert.equal(r.isError, true);
    const p = r.structuredContent;
    assert.equal(p.status, 'pending_approval');
    assert.match(p.approval_id, /^apr_/);
    assert.match(p.call_id, /^call_/);
    assert.match(r.content[0]?.text ?? '', /approv/i);
    const approved = await call(gw.url, 'POST', `/approvals/${p.approval_id}/approve`, { token: admin, body: {} });
    assert.ok(approved.status === 200 || approved.status === 202, approved.text);
    const rec = await eventually(async () => {
      const got = await call(gw.url, 'GET', `/tools/calls/${p.call_id}`, { token });
      return got.body?.status === 'ok' ? got.body : undefined;
    }, 15_000, 'the approved call to finish');
    assert.equal(rec.result, 42);
  });

  test('a non-object result is wrapped as {result}', async () => {
    // text.transform length returns an object; the wrap is covered by js.eval in the wait test
    const r = await callTool('text.transform', { text: 'abc', op: 'length' });
    assert.deepEqual(r.structuredContent, { op: 'length', result: 3 });
  });

  test('kill switch on → isError GW_ERR_KILL_SWITCH; off → calls run again', async () => {
    assert.equal((await call(gw.url, 'POST', '/admin/kill-switch', { token: admin, body: { reason: 'mcp test' } })).status, 200);
    const r = await callTool('echo', { text: 'x' });
    assert.equal(r.isError, true);
    assert.equal(r.structuredContent.code, 'GW_ERR_KILL_SWITCH');
    assert.equal((await call(gw.url, 'DELETE', '/admin/kill-switch', { token: admin })).status, 200);
    assert.notEqual((await callTool('echo', { text: 'x' })).isError, true);
  });

  test('one pipeline: a policy rule changes REST and MCP alike, with the same rule id', async () => {
    const put = await call(gw.url, 'PUT', '/admin/policy', {
      token: admin,
      body: { rules: [{ id: 'no-secrets', effect: 'deny', agents: ['bot'], tools: ['echo'], when: { arg: 'text', prefix: 'secret' } }] },
    });
    assert.equal(put.status, 200, put.text);
    const rest = await call(gw.url, 'POST', '/tools/call', { token, body: { tool: 'echo', args: { text: 'secret plan' } } });
    assert.equal(rest.status, 403);
    assert.equal(rest.body.code, 'GW_ERR_POLICY_DENIED');
    const mcp = await callTool('echo', { text: 'secret plan' });
    assert.equal(mcp.isError, true);
    assert.equal(mcp.structuredContent.code, 'GW_ERR_POLICY_DENIED');
    assert.equal(mcp.structuredContent.rule_id, rest.body.rule_id);
    assert.equal(mcp.structuredContent.rule_id, 'no-secrets');
    assert.equal((await call(gw.url, 'PUT', '/admin/policy', { token: admin, body: { rules: [] } })).status, 200);
    assert.equal((await call(gw.url, 'POST', '/tools/call', { token, body: { tool: 'echo', args: { text: 'secret plan' } } })).status, 200);
    assert.notEqual((await callTool('echo', { text: 'secret plan' })).isError, true);
  });

  test('every MCP tools/call left exactly one audit entry with via:"mcp", and the log verifies', async () => {
    const res = await call(gw.url, 'GET', '/admin/audit?event=tool.call&actor=agent:bot&limit=1000', { token: admin });
    assert.equal(res.status, 200, res.text);
    const entries = res.body.entries as Array<{ data?: { via?: string }; request_id?: string }>;
    const viaMcp = entries.filter((e) => e.data?.via === 'mcp');
    const viaRest = entries.filter((e) => e.data?.via === 'rest');
    assert.equal(viaMcp.length, mcpCalls, `${mcpCalls} MCP calls`);
    assert.equal(viaRest.length, 2, 'the two REST calls of the policy test');
    assert.equal(entries.length, mcpCalls + 2, 'no other tool.call entries for this agent');
    assert.equal(new Set(viaMcp.map((e) => e.request_id)).size, mcpCalls, 'one entry per MCP request');
    const verify = await call(gw.url, 'GET', '/admin/audit/verify', { token: admin });
    assert.equal(verify.status, 200);
    assert.equal(verify.body.ok, true, verify.text);
  });

  test('the request metric counts MCP requests by method and outcome', async () => {
    const text = await gw.gateway.ctx.metrics.text();
    assert.match(text, /palisade_mcp_requests_total\{method="tools\/call",outcome="ok"\} \d+/);
    assert.match(text, /palisade_mcp_requests_total\{method="tools\/call",outcome="pending"\} 1/);
    assert.match(text, /palisade_mcp_requests_total\{method="tools\/list",outcome="ok"\} \d+/);
  });

  test('revoking the agent: the next MCP request is refused with 401', async () => {
    assert.equal((await call(gw.url, 'DELETE', '/admin/agents/bot', { token: admin })).status, 204);
    await assert.rejects(callTool('echo', { text: 'x' }), (err: Error) => /401|invalid_token|Unauthorized/i.test(String(err.message) + JSON.stringify(err)));
    const raw = await rawMcp(gw.port, initializeBody(), { authorization: `Bearer ${token}` });
    assert.equal(raw.status, 401);
    assert.match(String(raw.headers['www-authenticate']), /error="invalid_token"/);
  });
});

describe('POST /mcp: older protocol revisions are answered statelessly', () => {
  let gw: TestGateway;
  let token: string;
  before(async () => {
    gw = await startGateway();
    const admin = (await loginAdmin(gw.url)).token;
    token = await createAgent(gw.url, admin, 'old', ['echo']);
  });
  after(async () => gw?.stop(true));

  for (const era of ['2025-11-25', '2025-06-18'] as const) {
    test(`a ${era} client lists and calls tools`, async () => {
      const client = await connectMcp(gw.url, token, { era });
      try {
        assert.equal(client.getNegotiatedProtocolVersion(), era);
        assert.deepEqual((await client.listTools()).tools.map((t) => t.name), ['echo']);
        const r = (await client.callTool({ name: 'echo', arguments: { text: era } })) as ToolResult;
        assert.deepEqual(r.structuredContent, { text: era });
        const bad = (await client.callTool({ name: 'echo', arguments: {} })) as ToolResult;
        assert.equal(bad.isError, true);
        assert.equal(bad.structuredContent.code, 'GW_ERR_VALIDATION');
      } finally {
        await client.close();
      }
    });
  }

  test('the 2026-07-28 client negotiates the newest revision', async () => {
    const client = await connectMcp(gw.url, token);
    try {
      assert.equal(client.getNegotiatedProtocolVersion(), '2026-07-28');
    } finally {
      await client.close();
    }
  });
});

describe('POST /mcp at the HTTP edge', () => {
  let gw: TestGateway;
  let admin: string;
  let token: string;
  const allowed = 'chrome-extension://abcdefghijklmnopabcdefghijklmnop';
  before(async () => {
    gw = await startGateway({ env: { PALISADE_CORS_ORIGINS: allowed } });
    admin = (await loginAdmin(gw.url)).token;
    token = await createAgent(gw.url, admin, 'edge', ['echo']);
  });
  after(async () => gw?.stop(true));
  const auth = () => ({ authorization: `Bearer ${token}` });

  test('Origin: a foreign one → 403 before any parsing; a configured one, same-origin and none → 200', async () => {
    for (const origin of ['https://evil.example', 'http://localhost:1', 'null']) {
      // an unparseable body proves the refusal comes before parsing
      const res = await rawMcp(gw.port, '{not json', { ...auth(), origin });
      assert.equal(res.status, 403, origin);
      assert.equal(res.json.code, 'GW_ERR_ORIGIN_NOT_ALLOWED');
    }
    for (const origin of [allowed, `http://127.0.0.1:${gw.port}`, undefined]) {
      const res = await rawMcp(gw.port, initializeBody(), { ...auth(), ...(origin === undefined ? {} : { origin }) });
      assert.equal(res.status, 200, String(origin));
    }
    const client = await connectMcp(gw.url, token, { headers: { origin: allowed } });
    assert.deepEqual((await client.listTools()).tools.map((t) => t.name), ['echo']);
    await client.close();
  });

  test('a configured browser origin passes the CORS preflight with the headers the MCP client sends', async () => {
    const pre = await rawMcp(gw.port, '', {
      origin: allowed, 'access-control-request-method': 'POST', 'content-type': '',
      'access-control-request-headers': 'authorization,content-type,mcp-protocol-version,mcp-method,mcp-name',
    }, 'OPTIONS');
    assert.equal(pre.status, 204);
    assert.equal(pre.headers['access-control-allow-origin'], allowed);
    const allowedHeaders = String(pre.headers['access-control-allow-headers']).toLowerCase();
    for (const h of ['authorization', 'content-type', 'mcp-protocol-version', 'mcp-method', 'mcp-name']) assert.ok(allowedHeaders.includes(h), h);
    const refused = await rawMcp(gw.port, '', { origin: 'https://evil.example', 'access-control-request-method': 'POST', 'content-type': '' }, 'OPTIONS');
    assert.equal(refused.status, 403);
  });

  test('Host rebinding → 403 GW_ERR_HOST_NOT_ALLOWED', async () => {
    const res = await rawMcp(gw.port, initializeBody(), { ...auth(), host: `evil.example:${gw.port}` });
    assert.equal(res.status, 403);
    assert.equal(res.json.code, 'GW_ERR_HOST_NOT_ALLOWED');
  });

  test('tokens: missing → 401 with the Bearer challenge; invalid → invalid_token; admin → 403', async () => {
    const missing = await rawMcp(gw.port, initializeBody(), {});
    assert.equal(missing.status, 401);
    assert.equal(missing.headers['www-authenticate'], 'Bearer realm="palisade"');
    const invalid = await rawMcp(gw.port, initializeBody(), { authorization: 'Bearer not-a-token' });
    assert.equal(invalid.status, 401);
    assert.match(String(invalid.headers['www-authenticate']), /error="invalid_token"/);
    const asAdmin = await rawMcp(gw.port, initializeBody(), { authorization: `Bearer ${admin}` });
    assert.equal(asAdmin.status, 403);
    assert.equal(asAdmin.json.code, 'GW_ERR_FORBIDDEN');
    await assert.rejects(connectMcp(gw.url, admin));
  });

  test('a body over 256 KiB → 413', async () => {
    const big = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: { text: 'x'.repeat(300 * 1024) } } });
    const res = await rawMcp(gw.port, big, auth());
    assert.equal(res.status, 413);
  });

  test('malformed JSON is a JSON-RPC parse error; malformed JSON-RPC is a JSON-RPC error; never a 5xx', async () => {
    const parse = await rawMcp(gw.port, '{"jsonrpc": "2.0", ', auth());
    assert.equal(parse.status, 400);
    assert.deepEqual(parse.json, { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error: the body is not valid JSON.' } });
    const bodies = [
      '5', '"x"', 'null', '[]', '{}', '[1,2]',
      JSON.stringify({ jsonrpc: '1.0', id: 1, method: 'tools/list' }),
      JSON.stringify({ jsonrpc: '2.0', id: 1, method: 5 }),
      JSON.stringify({ jsonrpc: '2.0', id: {}, method: 'tools/list' }),
      JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 123 } }),
      JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: 'text' } }),
      JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'no/such/method', params: {} }),
    ];
    for (const body of bodies) {
      const res = await rawMcp(gw.port, body, auth());
      assert.ok(res.status < 500, `${body} → ${res.status}`);
      const msg = res.text.startsWith('event:') || res.text.startsWith('data:') ? JSON.parse(res.text.split('\n').find((l) => l.startsWith('data:'))!.slice(5)) : res.json;
      assert.ok(msg?.error !== undefined || res.status === 202, `${body} → ${res.status} ${res.text.slice(0, 200)}`);
      assert.doesNotMatch(res.text, /at .*\.(ts|js|mjs):\d+|node_modules/);
    }
  });

  test('a forbidden key in the body is refused before the SDK sees it', async () => {
    const res = await rawMcp(gw.port, '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"__proto__":{"x":1}}}}', auth());
    assert.equal(res.status, 422);
    assert.equal(res.json.code, 'GW_ERR_FORBIDDEN_KEY');
  });

  test('GET and DELETE /mcp → 405 with Allow: POST (stateless endpoint)', async () => {
    for (const method of ['GET', 'DELETE']) {
      const res = await rawMcp(gw.port, '', { ...auth(), 'content-type': '' }, method);
      assert.equal(res.status, 405, method);
      assert.equal(res.headers['allow'], 'POST');
    }
  });
});
