/**
 * Bench row for issue 16: "upstream MCP tool call (fixture echo server in a container)".
 * Registers the fixture MCP server (test/fixtures/mcp-servers/palisade-fixture-echo, found through
 * PALISADE_MCP_SERVERS_DIR) in the bench gateway, so it runs in its own hardened container, then
 * drives POST /tools/call `benchfx.echo` — the one pipeline (admission, policy, audit, receipt) with
 * the last hop over the container's stdio to the server — and removes the server afterwards.
 * Target (issue 16): ≥ 500 req/s and p50 ≤ 3 ms at 10 connections.
 */
import { fileURLToPath } from 'node:url';
import type { LoadSpec } from './load.ts';
import type { Row } from './report.ts';

export const UPSTREAM_FIXTURES_DIR = fileURLToPath(new URL('../../test/fixtures/mcp-servers', import.meta.url));

export interface UpstreamRowInput {
  readonly base: string;
  readonly adminToken: string;
  readonly connections: number;
  readonly durationSeconds: number;
  readonly measure: (spec: LoadSpec) => Promise<Omit<Row, 'id' | 'label' | 'target' | 'connections'>>;
}

async function req(base: string, method: string, path: string, token: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${base}${path}`, {
    method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

export async function upstreamMcpRows(input: UpstreamRowInput): Promise<Row[]> {
  const reg = await req(input.base, 'POST', '/admin/mcp-servers', input.adminToken, { name: 'benchfx', package: 'palisade-fixture-echo', version: '1.0.0' });
  if (reg.status !== 201) throw new Error(`bench upstream row: registering the fixture answered ${reg.status} ${JSON.stringify(reg.body).slice(0, 300)}`);
  try {
    const agent = await req(input.base, 'POST', '/admin/agents', input.adminToken, { agent_id: 'bench-upstream', tools: ['benchfx.echo'], ttl_seconds: 3600 });
    if (agent.status !== 201) throw new Error(`bench upstream row: agent answered ${agent.status}`);
    const spec: LoadSpec = {
      url: `${input.base}/tools/call`, method: 'POST', headers: { authorization: `Bearer ${String(agent.body['token'])}` },
      body: JSON.stringify({ tool: 'benchfx.echo', args: { text: 'hello' } }), connections: input.connections, durationSeconds: input.durationSeconds, expectStatus: 200,
    };
    const m = await input.measure(spec);
    return [{
      id: 'upstream-mcp', label: 'upstream MCP tool call (fixture echo server in a container)', target: 'gateway', connections: input.connections, ...m,
      note: 'POST /tools/call benchfx.echo: the one pipeline, then MCP tools/call over the container\'s stdio; target ≥ 500 req/s, p50 ≤ 3 ms at 10 connections',
    }];
  } finally {
    await req(input.base, 'DELETE', '/admin/mcp-servers/benchfx', input.adminToken).catch(() => undefined);
  }
}
