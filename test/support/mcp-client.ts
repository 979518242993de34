/**
 * The official MCP client (@modelcontextprotocol/client) connected to a test gateway's POST /mcp
 * over Streamable HTTP, plus a raw JSON-RPC poster for the cases a well-behaved client never
 * sends. Nothing of the protocol is mocked: these are the SDK's own transport and client.
 */
import { request as httpRequest } from 'node:http';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';

export type Era = '2026-07-28' | '2025-11-25' | '2025-06-18';

export interface McpClientOptions {
  readonly era?: Era;
  readonly headers?: Record<string, string>;
}

/** Connects like a real client: 2026-07-28 via server/discover, 2025-era via initialize. */
export async function connectMcp(baseUrl: string, token: string | undefined, options: McpClientOptions = {}): Promise<Client> {
  const era = options.era ?? '2026-07-28';
  const client = new Client(
    { name: 'palisade-test', version: '1.0.0' },
    era === '2026-07-28'
      ? { versionNegotiation: { mode: { pin: '2026-07-28' } } }
      : { versionNegotiation: { mode: 'legacy' }, supportedProtocolVersions: [era] },
  );
  const headers: Record<string, string> = { ...options.headers };
  if (token !== undefined) headers['authorization'] = `Bearer ${token}`;
  const transport = new StreamableHTTPClientTransport(new URL(`${baseUrl}/mcp`), { requestInit: { headers } });
  await client.connect(transport);
  return client;
}

export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  readonly json: any;
}

/** POSTs bytes to /mcp with full control of the headers (Host included). */
export function rawMcp(port: number, body: string, headers: Record<string, string>, method = 'POST'): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({
      host: '127.0.0.1', port, method, path: '/mcp',
      headers: {
        host: `127.0.0.1:${port}`,
        accept: 'application/json, text/event-stream',
        'content-type': 'application/json',
        ...(body === '' ? {} : { 'content-length': String(Buffer.byteLength(body)) }),
        ...headers,
      },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A 2025-style initialize request body (what a legacy client sends first). */
export function initializeBody(version: string = '2025-06-18'): string {
  return JSON.stringify({
    jsonrpc: '2.0', id: 1, method: 'initialize',
    params: { protocolVersion: version, capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
  });
}

/** Polls `check` until it returns a value, failing after `ms`. */
export async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, ms = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
