/**
 * `palisade mcp [--url U]`: a stdio ↔ Streamable HTTP bridge to the gateway's POST /mcp, for MCP
 * clients that only launch local stdio servers. The agent token comes from PALISADE_AGENT_TOKEN
 * only (never argv, which other local users can read). stdout carries nothing but the JSON-RPC
 * messages the gateway sends; every diagnostic goes to stderr.
 *
 * Before relaying anything the bridge probes the endpoint once, so a gateway that is down or a
 * token that is refused ends the process with one clear line and an exit code instead of a
 * client that hangs. Messages are relayed as they are (both sides are the official SDK
 * transports); requests run concurrently, so one call waiting for an approval blocks no other.
 */
import { Writable } from 'node:stream';
import { parse, str } from './args.ts';
import { EXIT, CliError, usageError, type Command, type ExitCode, type Io } from './types.ts';

export const DEFAULT_MCP_URL = 'http://127.0.0.1:8080/mcp';
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
const PROBE_TIMEOUT_MS = 10_000;

const MCP_HELP = `Usage: palisade mcp [--url <url>]

Bridges an MCP client that speaks stdio to the gateway's Streamable HTTP endpoint. Reads
JSON-RPC on stdin, writes only JSON-RPC on stdout, diagnostics on stderr.

The agent token is read from PALISADE_AGENT_TOKEN (issue one with "palisade agent issue").
It is never accepted as an argument.

Options:
  --url <url>   the gateway's MCP endpoint (default: ${DEFAULT_MCP_URL}, or
                http://127.0.0.1:$PALISADE_PORT/mcp when PALISADE_PORT is set). Plain http
                is accepted only for a loopback host.
  -h, --help    show this help

Exit codes:
  0  stdin closed (the client went away)
  1  the gateway refused the token (invalid, expired, revoked, or not an agent token)
  2  usage error (no PALISADE_AGENT_TOKEN, bad --url)
  3  the gateway cannot be reached, or it answered the probe with an error`;

/** The endpoint to bridge to: an http(s) URL without credentials; plain http only to loopback. Pure. */
export function bridgeUrl(raw: string | undefined, env: Readonly<Record<string, string | undefined>>): { ok: true; url: URL } | { ok: false; message: string } {
  const port = env['PALISADE_PORT'];
  const value = raw ?? (port !== undefined && /^\d{1,5}$/.test(port) ? `http://127.0.0.1:${port}/mcp` : DEFAULT_MCP_URL);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { ok: false, message: `--url ${JSON.stringify(value.slice(0, 200))} is not a URL` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { ok: false, message: '--url must be an http or https URL' };
  if (url.username !== '' || url.password !== '') return { ok: false, message: '--url must not contain credentials' };
  if (url.protocol === 'http:' && !LOOPBACK.has(url.hostname)) {
    return { ok: false, message: '--url: plain http is allowed only to 127.0.0.1, localhost or [::1] (the token would travel in clear); use https' };
  }
  return { ok: true, url };
}

/** The token, from the environment only. Pure. */
export function bridgeToken(env: Readonly<Record<string, string | undefined>>): { ok: true; token: string } | { ok: false; message: string } {
  const token = env['PALISADE_AGENT_TOKEN']?.trim();
  if (token === undefined || token === '') {
    return { ok: false, message: 'set PALISADE_AGENT_TOKEN to an agent token (create one with "palisade agent issue <id> --tools ...")' };
  }
  if (token.length > 4096 || /[\s\u0000-\u001f\u007f]/.test(token)) return { ok: false, message: 'PALISADE_AGENT_TOKEN is not a valid token' };
  return { ok: true, token };
}

export type ProbeVerdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly exit: ExitCode; readonly message: string };

/** What the probe's HTTP status means for the bridge. Pure. */
export function probeVerdict(status: number, url: string): ProbeVerdict {
  if (status >= 200 && status < 300) return { ok: true };
  if (status === 401) return { ok: false, exit: EXIT.FAILED, message: `the gateway at ${url} rejected PALISADE_AGENT_TOKEN (invalid, expired or revoked); issue a new one with "palisade agent issue"` };
  if (status === 403) return { ok: false, exit: EXIT.FAILED, message: `the gateway at ${url} refused the request (403): PALISADE_AGENT_TOKEN must be an agent token, and the URL's host must be one the gateway accepts` };
  if (status === 404) return { ok: false, exit: EXIT.RUNTIME, message: `${url} has no MCP endpoint (404): check --url (it ends in /mcp)` };
  return { ok: false, exit: EXIT.RUNTIME, message: `the gateway at ${url} answered the probe with HTTP ${status}` };
}

async function probe(url: URL, token: string): Promise<ProbeVerdict> {
  const body = JSON.stringify({
    jsonrpc: '2.0', id: 'palisade-bridge-probe', method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'palisade-mcp-bridge', version: '0.1.0' } },
  });
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST', body, redirect: 'error', signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: unknown } }).cause?.code;
    return {
      ok: false, exit: EXIT.RUNTIME,
      message: `cannot reach the gateway at ${url.href}${typeof cause === 'string' ? ` (${cause})` : ''}: is it running? Start it with "npx palisade serve"`,
    };
  }
  await res.arrayBuffer().catch(() => undefined);
  return probeVerdict(res.status, url.href);
}

type JsonRpc = { id?: string | number; method?: string; params?: Record<string, unknown>; result?: Record<string, unknown> };

function jsonRpcError(id: string | number, code: number, message: string): Record<string, unknown> {
  return { jsonrpc: '2.0', id, error: { code, message } };
}

/** Relays until stdin closes. Resolves with the exit code. */
async function relay(url: URL, token: string, io: Io): Promise<ExitCode> {
  const [{ StreamableHTTPClientTransport }, { StdioServerTransport }] = await Promise.all([
    import('@modelcontextprotocol/client'),
    import('@modelcontextprotocol/server/stdio'),
  ]);
  const stdout = new Writable({
    write(chunk: Buffer | string, _enc, done) {
      io.out(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
      done();
    },
  });
  const local = new StdioServerTransport(io.stdin as NodeJS.ReadableStream as never, stdout);
  const remote = new StreamableHTTPClientTransport(url, { requestInit: { headers: { authorization: `Bearer ${token}` } }, redirectPolicy: 'same-origin' });
  const inFlight = new Map<string | number, AbortController>();
  const initializeIds = new Set<string | number>();
  let exit: ExitCode = EXIT.OK;
  let finish: (code: ExitCode) => void = () => {};
  const finished = new Promise<ExitCode>((resolve) => { finish = resolve; });

  remote.onmessage = (message) => {
    const m = message as JsonRpc;
    if (m.id !== undefined && initializeIds.delete(m.id) && typeof m.result?.['protocolVersion'] === 'string') {
      // 2025-era clients: later POSTs carry the negotiated MCP-Protocol-Version header
      remote.setProtocolVersion(m.result['protocolVersion']);
    }
    void local.send(message).catch(() => {});
  };
  remote.onerror = () => {}; // each failed send is reported below, once
  local.onclose = () => finish(exit);
  local.onerror = (error) => io.err(`palisade mcp: stdin: ${error.message.slice(0, 200)}\n`);
  local.onmessage = (message) => {
    const m = message as JsonRpc;
    if (m.method === 'notifications/cancelled') {
      const target = m.params?.['requestId'];
      if (typeof target === 'string' || typeof target === 'number') inFlight.get(target)?.abort();
      return; // the stateless endpoint has nothing to cancel: dropping the POST is the cancellation
    }
    const ac = new AbortController();
    const id = m.method !== undefined && m.id !== undefined ? m.id : undefined;
    if (id !== undefined) inFlight.set(id, ac);
    if (id !== undefined && m.method === 'initialize') initializeIds.add(id);
    remote.send(message, { requestSignal: ac.signal }).catch((error: unknown) => {
      if (ac.signal.aborted) return;
      const status = (error as { data?: { status?: unknown } }).data?.status;
      const unauthorized = (error as { name?: unknown }).name === 'UnauthorizedError' || status === 401;
      const text = unauthorized
        ? 'the gateway rejected PALISADE_AGENT_TOKEN (invalid, expired or revoked)'
        : `the gateway at ${url.href} failed: ${error instanceof Error ? error.message.slice(0, 200) : String(error)}`;
      io.err(`palisade mcp: ${text}\n`);
      if (id !== undefined) void local.send(jsonRpcError(id, -32000, text) as never).catch(() => {});
      if (unauthorized) {
        exit = EXIT.FAILED;
        void local.close();
      }
    }).finally(() => {
      if (id !== undefined) inFlight.delete(id);
    });
  };
  await remote.start();
  await local.start();
  const code = await finished;
  for (const ac of inFlight.values()) ac.abort();
  await remote.close().catch(() => {});
  return code;
}

export const mcp: Command = {
  summary: 'stdio ↔ /mcp bridge for MCP clients (token from PALISADE_AGENT_TOKEN)',
  help: MCP_HELP,
  async run(argv, io) {
    const p = parse(argv, { url: { type: 'string' } }, { min: 0, max: 0 });
    if (p.help) {
      // help goes to stderr: stdout of this command is reserved for JSON-RPC
      io.err(`${MCP_HELP}\n`);
      return EXIT.OK;
    }
    const token = bridgeToken(io.env);
    if (!token.ok) throw usageError(token.message);
    const url = bridgeUrl(str(p, 'url'), io.env);
    if (!url.ok) throw usageError(url.message);
    const verdict = await probe(url.url, token.token);
    if (!verdict.ok) throw new CliError(verdict.exit, verdict.message);
    io.err(`palisade mcp: bridging stdio to ${url.url.href}\n`);
    return relay(url.url, token.token, io);
  },
};

export interface SnippetInput {
  readonly token: string;
  /** the gateway's MCP endpoint, e.g. http://127.0.0.1:8080/mcp */
  readonly url: string;
  /** absolute path of the pinned Node */
  readonly node: string;
  /** absolute path of scripts/cli.ts */
  readonly cli: string;
}

/** The client configuration `palisade agent issue --mcp` prints. Pure. */
export function mcpClientConfig(s: SnippetInput): {
  stdio: { command: string; args: string[]; env: Record<string, string> };
  http: { type: 'http'; url: string; headers: Record<string, string> };
} {
  return {
    stdio: { command: s.node, args: [s.cli, 'mcp', '--url', s.url], env: { PALISADE_AGENT_TOKEN: s.token } },
    http: { type: 'http', url: s.url, headers: { Authorization: `Bearer ${s.token}` } },
  };
}

/** Copy-paste snippets for the common clients (docs/mcp.md explains each). Pure. */
export function mcpSnippets(s: SnippetInput): string {
  const c = mcpClientConfig(s);
  const q = (v: string): string => `'${v.replace(/'/g, `'\\''`)}'`;
  return [
    '# Claude Desktop (claude_desktop_config.json) or Cursor (.cursor/mcp.json): the stdio bridge',
    JSON.stringify({ mcpServers: { palisade: c.stdio } }, null, 2),
    '',
    '# VS Code (.vscode/mcp.json): Streamable HTTP',
    JSON.stringify({ servers: { palisade: c.http } }, null, 2),
    '',
    '# Claude Code: Streamable HTTP',
    `claude mcp add --transport http palisade ${q(s.url)} --header ${q(`Authorization: Bearer ${s.token}`)}`,
    '',
  ].join('\n');
}
