import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { call, createAgent, loginAdmin, startGateway, type TestGateway } from '../support/gateway.ts';

describe('tool calls through the isolate backend', () => {
  let gw: TestGateway;
  let admin: string;
  let agent: string;
  before(async () => {
    gw = await startGateway();
    admin = (await loginAdmin(gw.url)).token;
    agent = await createAgent(gw.url, admin, 'worker-1', ['echo', 'text.*', 'json.query', 'hash.digest', 'regex.test', 'js.eval']);
    const policy = await call(gw.url, 'PUT', '/admin/policy', {
      token: admin, body: { rules: [{ id: 'eval-ok', effect: 'allow', agents: ['worker-1'], tools: ['js.eval'] }] },
    });
    assert.equal(policy.status, 200);
  });
  after(() => gw.stop(true));

  const run = (tool: string, args: unknown, token = agent) => call(gw.url, 'POST', '/tools/call', { token, body: { tool, args } });

  test('GET /tools lists the agent\'s tools with the contract fields', async () => {
    const res = await call(gw.url, 'GET', '/tools', { token: agent });
    assert.equal(res.status, 200);
    const names = res.body.tools.map((t: { name: string }) => t.name).sort();
    assert.deepEqual(names, ['echo', 'hash.digest', 'js.eval', 'json.query', 'regex.test', 'text.transform']);
    const evalTool = res.body.tools.find((t: { name: string }) => t.name === 'js.eval');
    assert.deepEqual(Object.keys(evalTool).sort(), ['backend', 'description', 'input_schema', 'name', 'requires_approval', 'risk', 'tags']);
    assert.equal(evalTool.risk, 'high');
    assert.equal(evalTool.requires_approval, true);
    const scoped = await createAgent(gw.url, admin, 'only-echo', ['echo']);
    const few = await call(gw.url, 'GET', '/tools', { token: scoped });
    assert.deepEqual(few.body.tools.map((t: { name: string }) => t.name), ['echo']);
  });

  test('echo runs in the sandbox: 200 {status:"ok", call_id, tool, result, duration_ms}', async () => {
    const res = await run('echo', { text: 'hello palisade' });
    assert.equal(res.status, 200);
    assert.equal(res.body.status, 'ok');
    assert.match(res.body.call_id, /^call_/);
    assert.equal(res.body.tool, 'echo');
    assert.deepEqual(res.body.result, { text: 'hello palisade' });
    assert.equal(typeof res.body.duration_ms, 'number');
    const record = await call(gw.url, 'GET', `/tools/calls/${res.body.call_id}`, { token: agent });
    assert.equal(record.status, 200);
    assert.equal(record.body.status, 'ok');
    assert.deepEqual(record.body.result, { text: 'hello palisade' });
    const byAdmin = await call(gw.url, 'GET', `/tools/calls/${res.body.call_id}`, { token: admin });
    assert.equal(byAdmin.status, 200);
  });

  test('text.transform, json.query, hash.digest and regex.test give the right answers', async () => {
    assert.deepEqual((await run('text.transform', { text: 'abc', op: 'upper' })).body.result, { op: 'upper', result: 'ABC' });
    const q = await run('json.query', { data: { a: { b: [10, 20, 30] } }, path: '$.a.b[1]' });
    assert.equal(q.body.status, 'ok');
    assert.equal(JSON.stringify(q.body.result).includes('20'), true);
    const h = await run('hash.digest', { algorithm: 'sha256', data: 'palisade' });
    assert.equal(h.body.status, 'ok');
    assert.ok(JSON.stringify(h.body.result).includes(createHash('sha256').update('palisade').digest('hex')));
    const r = await run('regex.test', { pattern: '^a(b+)c$', flags: 'i', text: 'ABBC' });
    assert.equal(r.body.status, 'ok');
    assert.equal(r.body.result.matched, true);
  });

  test('js.eval runs agent code with input when policy allows it', async () => {
    const res = await run('js.eval', { code: 'return input.a * input.b', input: { a: 6, b: 7 } });
    assert.equal(res.status, 200);
    assert.equal(res.body.status, 'ok');
    assert.equal(res.body.result, 42);
  });

  test('a tool that throws → 200 {status:"error", error:{code:"TOOL_ERR_THROWN"}}', async () => {
    const res = await run('js.eval', { code: 'throw new Error("boom")' });
    assert.equal(res.status, 200);
    assert.equal(res.body.status, 'error');
    assert.equal(res.body.error.code, 'TOOL_ERR_THROWN');
    assert.match(res.body.error.message, /boom/);
  });

  test('an infinite loop → SBX_ERR_TIMEOUT, and the next call works', async () => {
    const res = await run('js.eval', { code: 'for(;;){}' });
    assert.equal(res.body.status, 'error');
    assert.equal(res.body.error.code, 'SBX_ERR_TIMEOUT');
    assert.deepEqual((await run('echo', { text: 'after' })).body.result, { text: 'after' });
    const ready = await call(gw.url, 'GET', '/health/ready');
    assert.equal(ready.status, 200);
    assert.equal(ready.body.backends.isolate.healthy, true);
  });

  test('a 10 MB result → SBX_ERR_OUTPUT_TOO_LARGE', async () => {
    const res = await run('js.eval', { code: 'return "x".repeat(10 * 1024 * 1024)' });
    assert.equal(res.body.status, 'error');
    assert.equal(res.body.error.code, 'SBX_ERR_OUTPUT_TOO_LARGE');
  });

  test('a sandbox escape probe sees only isolate globals', async () => {
    const res = await run('js.eval', {
      code: 'const F = this.constructor.constructor; const p = F("return typeof process")(); return { p, r: typeof require, g: typeof globalThis.process };',
    });
    assert.equal(res.body.status, 'ok');
    assert.deepEqual(res.body.result, { p: 'undefined', r: 'undefined', g: 'undefined' });
  });

  test('unknown tool in scope → 404; tool outside scope → 403; name over 256 chars → 422', async () => {
    const star = await createAgent(gw.url, admin, 'star', ['*']);
    assert.equal((await run('no.such.tool', {}, star)).status, 404);
    const scoped = await createAgent(gw.url, admin, 'echo-only', ['echo']);
    const out = await run('hash.digest', { algorithm: 'sha256', data: 'x' }, scoped);
    assert.equal(out.status, 403);
    assert.equal(out.body.code, 'GW_ERR_TOOL_NOT_IN_SCOPE');
    const long = await run('a'.repeat(257), {}, star);
    assert.equal(long.status, 422);
  });

  test('args that fail the schema → 422 with an {instancePath, message} list', async () => {
    const res = await run('echo', { text: 5 });
    assert.equal(res.status, 422);
    assert.equal(res.body.code, 'GW_ERR_VALIDATION');
    assert.ok(res.body.errors.length >= 1);
    assert.deepEqual(Object.keys(res.body.errors[0]).sort(), ['instancePath', 'message']);
    assert.equal(res.body.errors[0].instancePath, '/text');
    const extra = await run('echo', { text: 'x', more: 1 });
    assert.equal(extra.status, 422);
  });

  test('hostile args: control characters in keys, depth > 32, prototype keys → 422', async () => {
    const deep: Record<string, unknown> = {};
    let cur = deep;
    for (let i = 0; i < 40; i++) { const next = {}; cur['d'] = next; cur = next; }
    for (const raw of [
      JSON.stringify({ tool: 'json.query', args: { data: { 'a\u0001b': 1 }, path: '$' } }),
      JSON.stringify({ tool: 'json.query', args: { data: deep, path: '$' } }),
      '{"tool":"json.query","args":{"data":{"__proto__":{"x":1}},"path":"$"}}',
    ]) {
      const res = await call(gw.url, 'POST', '/tools/call', { token: agent, raw });
      assert.equal(res.status, 422, raw.slice(0, 80));
    }
  });

  test('the call body must be {tool, args}: extra fields or a non-object → 422', async () => {
    for (const body of [{ tool: 'echo', args: { text: 'x' }, sudo: true }, ['echo'], { args: {} }]) {
      assert.equal((await call(gw.url, 'POST', '/tools/call', { token: agent, body })).status, 422);
    }
  });

  test('admins and users cannot call tools (403); no token → 401', async () => {
    assert.equal((await run('echo', { text: 'x' }, admin)).status, 403);
    const anon = await call(gw.url, 'POST', '/tools/call', { body: { tool: 'echo', args: { text: 'x' } } });
    assert.equal(anon.status, 401);
  });

  test('another agent cannot read a call record (404)', async () => {
    const res = await run('echo', { text: 'mine' });
    const other = await createAgent(gw.url, admin, 'other', ['echo']);
    assert.equal((await call(gw.url, 'GET', `/tools/calls/${res.body.call_id}`, { token: other })).status, 404);
  });
});
