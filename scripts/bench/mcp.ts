/**
 * The MCP benchmark case replays, byte for byte, the POST the official client sends for one
 * `tools/call echo` on a 2026-07-28 (stateless) connection: the request is captured once
 * through the client's own transport (a recording fetch), then autocannon repeats it. Each
 * replay is a complete stateless exchange (the server builds its per-request instance), so the
 * row measures what a real client's call costs the gateway.
 */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';

export interface CapturedRequest {
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export async function captureMcpEcho(base: string, token: string): Promise<CapturedRequest> {
  return captureMcp(base, token, 'tools/call');
}

/** The official client's POST for `method` (`tools/list` or the `tools/call` of echo "hello"). */
export async function captureMcp(base: string, token: string, method: 'tools/list' | 'tools/call'): Promise<CapturedRequest> {
  let captured: CapturedRequest | undefined;
  const recording = async (url: string | URL, init?: RequestInit): Promise<Response> => {
    const body = typeof init?.body === 'string' ? init.body : undefined;
    if (body !== undefined && (JSON.parse(body) as { method?: unknown }).method === method) {
      const headers: Record<string, string> = {};
      new Headers(init?.headers).forEach((v, k) => { headers[k] = v; });
      captured = { headers, body };
    }
    return fetch(url, init);
  };
  const client = new Client({ name: 'palisade-bench', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
  const transport = new StreamableHTTPClientTransport(new URL(`${base}/mcp`), {
    requestInit: { headers: { authorization: `Bearer ${token}` } }, fetch: recording,
  });
  await client.connect(transport);
  try {
    if (method === 'tools/list') await client.listTools(undefined, { cacheMode: 'bypass' });
    const r = await client.callTool({ name: 'echo', arguments: { text: 'hello' } });
    if ((r.structuredContent as { text?: unknown } | undefined)?.text !== 'hello') throw new Error(`bench setup: MCP echo answered ${JSON.stringify(r).slice(0, 200)}`);
  } finally {
    await client.close();
  }
  if (captured === undefined) throw new Error(`bench setup: the MCP client sent no ${method} POST`);
  return captured;
}

/** A JSON-RPC answer to the replayed echo (application/json, no SSE: nothing is streamed). */
export function mcpEchoOk(b: unknown): boolean {
  const result = (b as { result?: { structuredContent?: { text?: unknown }; isError?: unknown } } | null)?.result;
  return result?.structuredContent?.text === 'hello' && result.isError !== true;
}
