/**
 * Starts a real gateway (openGateway + createApp) on 127.0.0.1 with a fresh temp data dir,
 * for black-box HTTP tests. PBKDF2 iterations are lowered for speed unless a test asks for
 * the production value; everything else is the production code path.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'node:http';
import { parseConfig, type Config } from '../../agent-gateway/config.ts';
import { openGateway, type Gateway, type GatewayOptions } from '../../agent-gateway/gateway.ts';

export const ADMIN_PASSWORD = 'correct horse battery staple';

export interface TestGateway {
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  readonly gateway: Gateway;
  readonly config: Config;
  /** stops the server and the gateway; keeps the data dir unless `remove` */
  stop(remove?: boolean): Promise<void>;
}

export interface StartOptions extends GatewayOptions {
  readonly env?: Record<string, string>;
  readonly dataDir?: string;
  readonly iterations?: number;
  readonly mutate?: (config: Config) => Config;
}

export function tempDir(prefix = 'palisade-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export async function startGateway(options: StartOptions = {}): Promise<TestGateway> {
  const dataDir = options.dataDir ?? tempDir();
  const parsed = parseConfig({
    PALISADE_DATA_DIR: dataDir,
    PALISADE_ADMIN_PASSWORD: ADMIN_PASSWORD,
    PALISADE_LOG_LEVEL: 'silent',
    PALISADE_SANDBOX_BACKEND: 'isolate',
    // approve answers 202 "running" past this wait; tests that assert a synchronous result must
    // not depend on a loaded CI machine finishing within the 2 s default (tests of the cap set it)
    PALISADE_APPROVE_WAIT_MS: '30000',
    ...options.env,
  });
  if (!parsed.ok) throw new Error(`test config invalid: ${parsed.problems.join('; ')}`);
  let config: Config = {
    ...parsed.config,
    auth: { ...parsed.config.auth, pbkdf2Iterations: options.iterations ?? 2_000 },
  };
  if (options.mutate) config = options.mutate(config);
  const gateway = await openGateway(config, options);
  const server: Server = await new Promise((resolve) => {
    const s = gateway.app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    dataDir,
    gateway,
    config,
    stop: async (remove = false) => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await gateway.close();
      if (remove) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface JsonResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: any;
  readonly text: string;
}

export async function call(
  base: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {},
): Promise<JsonResponse> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers['authorization'] = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.raw !== undefined) body = options.raw;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined && headers['content-type'] === undefined) headers['content-type'] = 'application/json';
  const res = await fetch(base + path, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await res.text();
  let parsed: unknown = undefined;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, body: parsed, text };
}

export async function loginAdmin(base: string, password = ADMIN_PASSWORD, username = 'admin'): Promise<{ token: string; refresh: string }> {
  const res = await call(base, 'POST', '/admin/login', { body: { username, password } });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${res.text}`);
  return { token: res.body.token, refresh: res.body.refresh_token };
}

export async function createAgent(base: string, adminToken: string, agentId: string, tools: string[], ttl?: number): Promise<string> {
  const res = await call(base, 'POST', '/admin/agents', {
    token: adminToken,
    body: { agent_id: agentId, tools, ...(ttl === undefined ? {} : { ttl_seconds: ttl }) },
  });
  if (res.status !== 201) throw new Error(`agent create failed: ${res.status} ${res.text}`);
  return res.body.token;
}
