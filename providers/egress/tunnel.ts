/**
 * The egress tunnel of one upstream MCP server with network "egress-allowlist" (issue 16 item 2):
 * an HTTP CONNECT proxy on a unix socket that only that server's container can reach (the socket's
 * folder is bind-mounted read-only into it; the container's relay, sandbox/docker/egress-relay.mjs,
 * forwards the server's proxied connections here). The container itself has no network.
 *
 * For each `CONNECT host:port` the decision is the egress client's own connect step
 * (`Egress.destination` → connector.ts pinnedAddresses: the same allowlist, every DNS record
 * resolved and checked, the SSRF address rules, the trusted addresses), never a second policy.
 * Only a checked IP is dialed, then bytes are piped both ways untouched (TLS stays end to end
 * between the server and the origin). A refusal answers an HTTP status with the EGR_ERR code in
 * the `x-palisade-egress` header and in the one body line, and closes. Every decision, allowed
 * or denied, goes to `audit`; an allowed tunnel is dialed only once its line is durable (a failing
 * audit refuses it). Malformed input (not a CONNECT, an absolute-form GET, garbage, a head over
 * 8 KiB, a head not complete within `headTimeoutMs`) is refused the same way; at most
 * `maxTunnels` connections are open at once, the next is refused at once. Nothing a client
 * sends can throw out of here.
 */
import { chmodSync, rmSync } from 'node:fs';
import net from 'node:net';
import { readConnectHead, policyTarget, refusalResponse, ESTABLISHED, type ConnectTarget } from './connect-request.ts';
import type { Egress } from './dispatcher.ts';
import { isEgressError } from './errors.ts';

export interface TunnelDecision {
  readonly server: string;
  /** empty when the request never named one (malformed, over the limit) */
  readonly host: string;
  readonly port: number;
  readonly allowed: boolean;
  /** the EGR_ERR code of a refusal */
  readonly code?: string;
  /** log-safe detail of a refusal (the policy's deny code and reason) */
  readonly reason?: string;
}

export interface TunnelOptions {
  readonly socketPath: string;
  readonly server: string;
  readonly policy: Pick<Egress, 'allowlist' | 'destination'>;
  /** records one decision durably; for an allowed tunnel a rejection refuses it */
  readonly audit: (decision: TunnelDecision) => Promise<void>;
  readonly maxTunnels?: number;
  readonly headTimeoutMs?: number;
  readonly connectTimeoutMs?: number;
  /** told when a denial's audit line could not be written */
  readonly onAuditError?: (error: unknown) => void;
}

export interface EgressTunnel {
  readonly socketPath: string;
  /** connections open now (waiting for their head, being decided, or piping) */
  readonly open: number;
  /** stops listening, ends every tunnel and removes the socket; never rejects */
  close(): Promise<void>;
}

export const DEFAULT_MAX_TUNNELS = 32;
export const DEFAULT_HEAD_TIMEOUT_MS = 10_000;
/** the socket's mode: the container's uid 65534 must connect (its folder is the only way to it) */
export const TUNNEL_SOCKET_MODE = 0o666;

export async function openTunnel(options: TunnelOptions): Promise<EgressTunnel> {
  const max = options.maxTunnels ?? DEFAULT_MAX_TUNNELS;
  const headTimeout = options.headTimeoutMs ?? DEFAULT_HEAD_TIMEOUT_MS;
  const connectTimeout = options.connectTimeoutMs ?? 10_000;
  const clients = new Set<net.Socket>();
  const upstreams = new Set<net.Socket>();
  let closed = false;

  const record = (d: Omit<TunnelDecision, 'server'>): void => {
    options.audit({ server: options.server, ...d }).catch((error: unknown) => options.onAuditError?.(error));
  };

  const refuse = (client: net.Socket, status: number, code: string, reason: string): void => {
    if (client.destroyed) return;
    client.removeAllListeners('data');
    client.setTimeout(2_000, () => client.destroy());
    client.end(refusalResponse(status, code, reason), () => client.destroy());
  };

  const pipe = (client: net.Socket, upstream: net.Socket, rest: Buffer): void => {
    upstreams.add(upstream);
    const end = (): void => {
      client.destroy();
      upstream.destroy();
    };
    upstream.on('close', () => {
      upstreams.delete(upstream);
      end();
    });
    client.on('close', end);
    client.write(ESTABLISHED);
    if (rest.length > 0) upstream.write(rest);
    client.pipe(upstream);
    upstream.pipe(client);
    client.resume();
  };

  const dial = (client: net.Socket, ips: readonly string[], port: number, rest: Buffer, i = 0): void => {
    if (client.destroyed || closed) return;
    const upstream = net.connect({ host: ips[i]!, port, timeout: connectTimeout });
    let settled = false;
    const fail = (code: string): void => {
      if (settled) return;
      settled = true;
      upstream.destroy();
      if (i + 1 < ips.length) dial(client, ips, port, rest, i + 1);
      else refuse(client, 502, 'EGR_ERR_NETWORK', code.slice(0, 40));
    };
    upstream.once('error', (error: NodeJS.ErrnoException) => fail(error.code ?? 'ERROR'));
    upstream.once('timeout', () => fail('ETIMEDOUT'));
    upstream.once('connect', () => {
      if (settled) return;
      settled = true;
      upstream.setTimeout(0);
      upstream.removeAllListeners('error');
      upstream.on('error', () => upstream.destroy());
      if (client.destroyed || closed) upstream.destroy();
      else pipe(client, upstream, rest);
    });
  };

  const decide = async (client: net.Socket, target: ConnectTarget, rest: Buffer): Promise<void> => {
    const at = { host: target.host.slice(0, 255), port: target.port };
    const t = policyTarget(target, options.policy.allowlist);
    if (t === undefined) {
      record({ ...at, allowed: false, code: 'EGR_ERR_DENIED', reason: 'EGRESS_BAD_URL: not a valid host' });
      refuse(client, 400, 'EGR_ERR_DENIED', 'EGRESS_BAD_URL');
      return;
    }
    let ips: string[];
    try {
      ips = (await options.policy.destination(t)).ips;
    } catch (error) {
      const code = isEgressError(error) ? error.code : 'EGR_ERR_DENIED';
      const detail = isEgressError(error) ? error.logSummary : 'policy failure';
      record({ ...at, allowed: false, code, reason: detail.slice(0, 300) });
      refuse(client, code === 'EGR_ERR_DNS' ? 502 : 403, code, detail.split(':', 1)[0] ?? code);
      return;
    }
    try {
      await options.audit({ server: options.server, ...at, allowed: true });
    } catch {
      refuse(client, 503, 'EGR_ERR_DENIED', 'AUDIT_UNAVAILABLE');
      return;
    }
    dial(client, ips, target.port, rest);
  };

  const handle = (client: net.Socket): void => {
    client.on('error', () => client.destroy());
    if (closed || clients.size >= max) {
      record({ host: '', port: 0, allowed: false, code: 'EGR_ERR_DENIED', reason: `TUNNEL_LIMIT: ${max} open` });
      refuse(client, 503, 'EGR_ERR_DENIED', 'TUNNEL_LIMIT');
      return;
    }
    clients.add(client);
    client.once('close', () => clients.delete(client));
    let received = Buffer.alloc(0);
    const timer = setTimeout(() => {
      record({ host: '', port: 0, allowed: false, code: 'EGR_ERR_TIMEOUT', reason: `TUNNEL_HEAD_TIMEOUT: no complete CONNECT within ${headTimeout} ms` });
      refuse(client, 408, 'EGR_ERR_TIMEOUT', 'TUNNEL_HEAD_TIMEOUT');
    }, headTimeout);
    timer.unref();
    client.once('close', () => clearTimeout(timer));
    const onData = (chunk: Buffer): void => {
      received = Buffer.concat([received, chunk]);
      const head = readConnectHead(received);
      if (head.state === 'incomplete') return;
      clearTimeout(timer);
      client.removeListener('data', onData);
      client.pause();
      if (head.state === 'refused') {
        record({ host: '', port: 0, allowed: false, code: 'EGR_ERR_DENIED', reason: head.reason });
        refuse(client, head.reason === 'TUNNEL_HEAD_TOO_LARGE' ? 431 : 400, 'EGR_ERR_DENIED', head.reason);
        return;
      }
      decide(client, head.target, head.rest).catch(() => refuse(client, 502, 'EGR_ERR_NETWORK', 'TUNNEL_INTERNAL'));
    };
    client.on('data', onData);
  };

  rmSync(options.socketPath, { force: true });
  const server = net.createServer(handle);
  server.on('error', () => undefined); // accept errors (EMFILE) must not end the gateway
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.socketPath, () => {
      server.removeListener('error', reject);
      resolve();
    });
  });
  chmodSync(options.socketPath, TUNNEL_SOCKET_MODE);

  return {
    socketPath: options.socketPath,
    get open() {
      return clients.size;
    },
    close: async () => {
      if (closed) return;
      closed = true;
      const done = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of [...clients, ...upstreams]) s.destroy();
      await done;
      rmSync(options.socketPath, { force: true });
    },
  };
}
