/**
 * `palisade mcp`: the stdio bridge, spawned exactly as an MCP client spawns a local server
 * (absolute pinned Node + absolute scripts/cli.ts, from an unrelated working directory, the
 * token in the environment), driven by the official client's StdioClientTransport. Also the
 * raw stdout (nothing but JSON-RPC) and the failure exits (gateway down, token refused).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { call, createAgent, loginAdmin, startGateway, type TestGateway } from '../support/gateway.ts';
import { freePort } from '../support/process.ts';
import { runCli } from '../unit/cli/spawn-cli.ts';

const NODE = fileURLToPath(new URL('../../node_modules/.bin/node', import.meta.url));
const CLI = fileURLToPath(new URL('../../scripts/cli.ts', import.meta.url));

type ToolResult = { isError?: boolean; structuredContent?: any; content: Array<{ type: string; text?: string }> };

interface Run { code: number | null; stdout: string; stderr: string }

/** Spawns the bridge with raw pipes, writes `lines`, closes stdin once `until(stdout)` holds. */
function runBridge(env: Record<string, string>, args: string[], lines: string[] = [], until?: (stdout: string) => boolean): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(NODE, [CLI, 'mcp', ...args], { cwd: tmpdir(), env: { PATH: process.env['PATH'] ?? '', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      if (until?.(stdout)) child.stdin.end();
    });
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    for (const l of lines) child.stdin.write(`${l}\n`);
    if (until === undefined) child.stdin.end();
  });
}

function bridgeClient(url: string, token: string, mode: 'legacy' | '2026-07-28'): { client: Client; transport: StdioClientTransport } {
  const transport = new StdioClientTransport({
    command: NODE, args: [CLI, 'mcp', '--url', `${url}/mcp`], cwd: tmpdir(), stderr: 'pipe',
    env: { PATH: process.env['PATH'] ?? '', PALISADE_AGENT_TOKEN: token },
  });
  const client = new Client({ name: 'stdio-test', version: '1.0.0' },
    mode === 'legacy' ? { versionNegotiation: { mode: 'legacy' } } : { versionNegotiation: { mode: { pin: '2026-07-28' } } });
  return { client, transport };
}

describe('palisade mcp (stdio bridge)', () => {
  let gw: TestGateway;
  let admin: string;
  let token: string;
  before(async () => {
    gw = await startGateway();
    admin = (await loginAdmin(gw.url)).token;
    token = await createAgent(gw.url, admin, 'desk', ['echo', 'js.eval']);
  });
  after(async () => gw?.stop(true));

  for (const mode of ['legacy', '2026-07-28'] as const) {
    test(`the official client over stdio (${mode}): list, call, schema error, pending approval`, async () => {
      const { client, transport } = bridgeClient(gw.url, token, mode);
      let stderr = '';
      transport.stderr?.on('data', (c: Buffer) => { stderr += c.toString(); });
      await client.connect(transport);
      try {
        assert.deepEqual((await client.listTools()).tools.map((t) => t.name), ['echo', 'js.eval']);
        const ok = (await client.callTool({ name: 'echo', arguments: { text: 'via stdio' } })) as ToolResult;
        assert.deepEqual(ok.structuredContent, { text: 'via stdio' });
        const bad = (await client.callTool({ name: 'echo', arguments: { text: 1 } })) as ToolResult;
        assert.equal(bad.structuredContent.code, 'GW_ERR_VALIDATION');
        const pending = (await client.callTool({ name: 'js.eval', arguments: { code: 'return 1' } })) as ToolResult;
        assert.equal(pending.structuredContent.status, 'pending_approval');
        const scope = (await client.callTool({ name: 'hash.digest', arguments: {} })) as ToolResult;
        assert.equal(scope.structuredContent.code, 'GW_ERR_TOOL_NOT_IN_SCOPE');
      } finally {
        await client.close();
      }
      assert.match(stderr, /bridging stdio to http:\/\/127\.0\.0\.1:\d+\/mcp/);
      assert.doesNotMatch(stderr, new RegExp(token), 'the token is never printed');
    });
  }

  test('agent issue --mcp prints configs that work as pasted: the stdio one launches the bridge, the HTTP one connects', async () => {
    const env = { PALISADE_DATA_DIR: gw.dataDir, PALISADE_PORT: String(gw.port) };
    const json = await runCli(['agent', 'issue', 'pasted', '--tools', 'echo', '--mcp', '--json'], { env });
    assert.equal(json.code, 0, json.stderr);
    const issued = JSON.parse(json.stdout) as { token: string; mcp: { stdio: { command: string; args: string[]; env: Record<string, string> }; http: { url: string; headers: Record<string, string> } } };
    const { stdio, http } = issued.mcp;
    assert.equal(stdio.command, NODE);
    assert.deepEqual(stdio.args, [CLI, 'mcp', '--url', `http://127.0.0.1:${gw.port}/mcp`]);
    assert.deepEqual(stdio.env, { PALISADE_AGENT_TOKEN: issued.token });
    assert.ok(!stdio.args.some((a) => a.includes(issued.token)), 'the token is never an argument');
    const transport = new StdioClientTransport({ ...stdio, env: { PATH: process.env['PATH'] ?? '', ...stdio.env }, cwd: tmpdir() });
    const client = new Client({ name: 'pasted', version: '1' });
    await client.connect(transport);
    const r = (await client.callTool({ name: 'echo', arguments: { text: 'pasted' } })) as ToolResult;
    assert.deepEqual(r.structuredContent, { text: 'pasted' });
    await client.close();
    const res = await fetch(http.url, {
      method: 'POST', headers: { ...http.headers, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '1' } } }),
    });
    assert.equal(res.status, 200);
    await res.arrayBuffer();
    const text = await runCli(['agent', 'issue', 'pasted-2', '--tools', 'echo', '--mcp'], { env });
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /"mcpServers"/);
    assert.match(text.stdout, /claude mcp add --transport http palisade 'http:\/\/127\.0\.0\.1:\d+\/mcp' --header 'Authorization: Bearer /);
    assert.match(text.stderr, /shown only once/);
  });

  test('stdout carries nothing but JSON-RPC; stdin closing ends the bridge with 0', async () => {
    const init = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });
    const list = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} });
    const run = await runBridge({ PALISADE_AGENT_TOKEN: token }, ['--url', `${gw.url}/mcp`], [init, list],
      (out) => out.split('\n').filter((l) => l.trim() !== '').length >= 2);
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.split('\n').filter((l) => l !== '');
    assert.equal(lines.length, 2, run.stdout);
    for (const l of lines) assert.equal(JSON.parse(l).jsonrpc, '2.0', l);
    const byId = new Map(lines.map((l) => [JSON.parse(l).id, JSON.parse(l)]));
    assert.equal(byId.get(1).result.protocolVersion, '2025-06-18');
    assert.deepEqual(byId.get(2).result.tools.map((t: { name: string }) => t.name), ['echo', 'js.eval']);
  });

  test('the gateway down: one clear stderr line, exit 3, empty stdout', async () => {
    const port = await freePort();
    const run = await runBridge({ PALISADE_AGENT_TOKEN: token }, ['--url', `http://127.0.0.1:${port}/mcp`]);
    assert.equal(run.code, 3);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /cannot reach the gateway at http:\/\/127\.0\.0\.1:\d+\/mcp/);
  });

  test('a refused token: exit 1 and a clear message; no token at all: exit 2; the token is never printed', async () => {
    const bad = await runBridge({ PALISADE_AGENT_TOKEN: 'not-a-real-token' }, ['--url', `${gw.url}/mcp`]);
    assert.equal(bad.code, 1);
    assert.equal(bad.stdout, '');
    assert.match(bad.stderr, /rejected PALISADE_AGENT_TOKEN/);
    assert.doesNotMatch(bad.stderr, /not-a-real-token/);
    const asAdmin = await runBridge({ PALISADE_AGENT_TOKEN: admin }, ['--url', `${gw.url}/mcp`]);
    assert.equal(asAdmin.code, 1);
    assert.match(asAdmin.stderr, /must be an agent token/);
    const none = await runBridge({}, ['--url', `${gw.url}/mcp`]);
    assert.equal(none.code, 2);
    assert.equal(none.stdout, '');
    assert.match(none.stderr, /set PALISADE_AGENT_TOKEN/);
  });

  test('a token revoked mid-session: the call gets a JSON-RPC error and the bridge exits 1', async () => {
    const doomed = await createAgent(gw.url, admin, 'doomed', ['echo']);
    const init = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });
    const child = spawn(NODE, [CLI, 'mcp', '--url', `${gw.url}/mcp`], { cwd: tmpdir(), env: { PATH: process.env['PATH'] ?? '', PALISADE_AGENT_TOKEN: doomed }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const lineCount = () => stdout.split('\n').filter((l) => l !== '').length;
    let waiter: () => void = () => {};
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      waiter();
    });
    const nextLine = (n: number) => new Promise<void>((resolve) => {
      waiter = () => { if (lineCount() >= n) resolve(); };
      waiter();
    });
    child.stdin.write(`${init}\n`);
    await nextLine(1);
    assert.equal((await call(gw.url, 'DELETE', '/admin/agents/doomed', { token: admin })).status, 204);
    child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'echo', arguments: { text: 'x' } } })}\n`);
    await nextLine(2);
    const reply = JSON.parse(stdout.split('\n').filter((l) => l !== '')[1] ?? '{}');
    assert.equal(reply.id, 2);
    assert.match(reply.error.message, /rejected PALISADE_AGENT_TOKEN/);
    assert.equal(await exited, 1);
    assert.match(stderr, /rejected PALISADE_AGENT_TOKEN/);
  });
});
