/**
 * One running upstream MCP server: its container (sandbox/docker/mcp-container.ts) and the
 * gateway's MCP client over the container's stdio. Everything the server answers is hostile:
 * tool listings are rebuilt by toDefinition (malformed ones dropped), call results are shape
 * checked and size-capped here, and any failure becomes a sandbox error code, never a throw
 * into the pipeline.
 */
import type Docker from 'dockerode';
import type { CallToolResult, Client } from '@modelcontextprotocol/client';
import { isPlainObject, type JsonValue } from '../../sandbox/json.ts';
import type { WorkerResult } from '../../sandbox/worker-backend.ts';
import { McpContainer } from '../../sandbox/docker/mcp-container.ts';
import { toDefinition, type UpstreamToolDefinition } from './pin.ts';
import { visibleText } from './scan.ts';
import { loadMcpClientSdk } from './sdk.ts';
import { ContainerTransport } from './transport.ts';

export const CLIENT_INFO = Object.freeze({ name: 'palisade-upstream', version: '0.1.0' });
const MAX_TOOLS = 256;

export interface ProcessEvents {
  /** the container ended without the gateway asking */
  readonly onCrash: (reason: string, stderr: string) => void;
  readonly onListChanged: () => void;
}

export class UpstreamProcess {
  readonly #container: McpContainer;
  readonly #client: Client;
  #stopping = false;

  private constructor(container: McpContainer, client: Client) {
    this.#container = container;
    this.#client = client;
  }

  get running(): boolean {
    return !this.#container.dead;
  }

  get containerId(): string {
    return this.#container.id;
  }

  static async start(docker: Docker, spec: Docker.ContainerCreateOptions, events: ProcessEvents, timeoutMs: number): Promise<UpstreamProcess> {
    const sdk = await loadMcpClientSdk();
    const transport = new ContainerTransport(sdk);
    let proc: UpstreamProcess | undefined;
    const container = await McpContainer.start(docker, spec, {
      onLine: (line) => transport.receive(line),
      onExit: (reason) => {
        transport.ended();
        if (proc !== undefined && !proc.#stopping) events.onCrash(reason, container.stderr);
      },
    });
    transport.attach(container);
    const client = new sdk.Client(CLIENT_INFO, { versionNegotiation: { mode: 'legacy' }, supportedProtocolVersions: ['2025-11-25', '2025-06-18'] });
    client.setNotificationHandler('notifications/tools/list_changed', () => events.onListChanged());
    proc = new UpstreamProcess(container, client);
    try {
      await client.connect(transport, { timeout: timeoutMs });
    } catch (error) {
      proc.#stopping = true;
      await container.destroy();
      throw new Error(`the server did not complete the MCP handshake: ${String(error instanceof Error ? error.message : error).slice(0, 200)}`);
    }
    if (container.dead) throw new Error('the server exited during the handshake');
    return proc;
  }

  /** tools/list (every page, bounded): malformed entries are dropped, names deduplicated */
  async listTools(timeoutMs: number): Promise<readonly UpstreamToolDefinition[]> {
    const out = new Map<string, UpstreamToolDefinition>();
    let cursor: string | undefined;
    for (let page = 0; page < 16; page += 1) {
      const res = await this.#client.listTools(cursor === undefined ? {} : { cursor }, { timeout: timeoutMs, cacheMode: 'bypass' });
      for (const raw of Array.isArray(res.tools) ? res.tools : []) {
        const def = toDefinition(raw);
        if (def !== undefined && !out.has(def.name) && out.size < MAX_TOOLS) out.set(def.name, def);
      }
      cursor = typeof res.nextCursor === 'string' && res.nextCursor !== '' ? res.nextCursor : undefined;
      if (cursor === undefined) break;
    }
    return [...out.values()];
  }

  async call(tool: string, args: JsonValue, timeoutMs: number, maxOutputBytes: number, signal?: AbortSignal): Promise<WorkerResult> {
    const started = performance.now();
    const ms = (): number => Math.round(performance.now() - started);
    if (this.#container.dead) return { ok: false, code: 'SBX_ERR_WORKER_CRASHED', message: 'the upstream MCP server is not running', durationMs: 0 };
    let res: CallToolResult;
    try {
      res = await this.#client.callTool({ name: tool, arguments: args as Record<string, unknown> }, {
        timeout: timeoutMs, ...(signal === undefined ? {} : { signal }),
      });
    } catch (error) {
      const text = String(error instanceof Error ? error.message : error);
      if (this.#container.dead) return { ok: false, code: 'SBX_ERR_WORKER_CRASHED', message: 'the upstream MCP server exited during the call', durationMs: ms() };
      if (signal?.aborted === true) return { ok: false, code: 'SBX_ERR_KILLED', message: 'the call was stopped', durationMs: ms() };
      if (/timed out/i.test(text)) return { ok: false, code: 'SBX_ERR_TIMEOUT', message: `no result within ${timeoutMs} ms`, durationMs: ms() };
      return { ok: false, code: 'TOOL_ERR_THROWN', message: `upstream error: ${visibleText(text).slice(0, 300)}`, durationMs: ms() };
    }
    const value = resultValue(res);
    if (Buffer.byteLength(JSON.stringify(value.value), 'utf8') > maxOutputBytes) {
      return { ok: false, code: 'SBX_ERR_OUTPUT_TOO_LARGE', message: `the result is larger than ${maxOutputBytes} bytes`, durationMs: ms() };
    }
    if (value.isError) {
      return { ok: false, code: 'TOOL_ERR_THROWN', message: visibleText(textOf(value.value)).slice(0, 1000) || 'the upstream tool reported an error', durationMs: ms() };
    }
    return { ok: true, value: value.value, durationMs: ms() };
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    await this.#container.destroy();
  }
}

/** structuredContent when the server sent one, else `{content:[…]}` of text parts only (rebuilt). */
function resultValue(res: CallToolResult): { value: JsonValue; isError: boolean } {
  const isError = res.isError === true;
  if (isPlainObject(res.structuredContent)) return { value: JSON.parse(JSON.stringify(res.structuredContent)) as JsonValue, isError };
  const content = (Array.isArray(res.content) ? res.content : [])
    .filter((c): c is { type: 'text'; text: string } => isPlainObject(c) && c['type'] === 'text' && typeof c['text'] === 'string')
    .map((c) => ({ type: 'text', text: c.text }));
  return { value: { content }, isError };
}

function textOf(value: JsonValue): string {
  const content = isPlainObject(value) && Array.isArray(value['content']) ? value['content'] : [];
  return content.map((c) => (isPlainObject(c) && typeof c['text'] === 'string' ? c['text'] : '')).join('\n');
}
