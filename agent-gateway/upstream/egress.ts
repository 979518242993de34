/**
 * The egress tunnel of an upstream MCP server registered with network "egress-allowlist" (issue
 * 16 item 2), on the gateway side: one folder per server, `<data dir>/mcp-egress/<server>/`,
 * holding only the tunnel's `proxy.sock` (providers/egress/tunnel.ts). The folder is bind-mounted
 * read-only into the server's container (sandbox/docker/mcp-egress.ts); both folders are 0711
 * (the container's uid 65534 may pass through, not list or write) and the socket 0666 (it must
 * connect); nothing else is in them. The policy is the gateway's one egress client (the LLM
 * providers' allowlist plus PALISADE_EGRESS_ALLOWLIST, PALISADE_EGRESS_TRUSTED_ADDRESSES, its
 * resolver). Every decision is audited as `mcp_server.egress` (outcome ok / denied, with the
 * server, host and port). The socket and its folder are removed when the tunnel closes (server
 * stopped or deleted, gateway closed).
 */
import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Egress } from '../../providers/egress/dispatcher.ts';
import { openTunnel, type EgressTunnel, type TunnelDecision } from '../../providers/egress/tunnel.ts';
import { EGRESS_SOCKET_NAME } from '../../sandbox/docker/mcp-egress.ts';
import type { EventSink, GatewayEvent } from '../events.ts';
import type { Logger } from '../logger.ts';

export const EGRESS_SOCKETS_DIR = 'mcp-egress';
const DIR_MODE = 0o711;

/** what a tunnel needs of the gateway's egress client */
export type EgressPolicy = Pick<Egress, 'allowlist' | 'destination'>;

export interface ServerTunnel {
  /** the host folder bind-mounted into the container */
  readonly socketDir: string;
  readonly tunnel: EgressTunnel;
  close(): Promise<void>;
}

export function tunnelEvent(d: TunnelDecision): GatewayEvent {
  return {
    type: 'mcp_server.egress', actor: 'system', outcome: d.allowed ? 'ok' : 'denied',
    data: {
      server: d.server, host: d.host, port: d.port,
      ...(d.code === undefined ? {} : { code: d.code }), ...(d.reason === undefined ? {} : { reason: d.reason }),
    },
  };
}

export async function openServerTunnel(o: {
  readonly dataDir: string;
  readonly server: string;
  readonly policy: EgressPolicy;
  readonly events: EventSink;
  readonly logger: Logger;
}): Promise<ServerTunnel> {
  const root = path.join(o.dataDir, EGRESS_SOCKETS_DIR);
  mkdirSync(root, { recursive: true, mode: DIR_MODE });
  chmodSync(root, DIR_MODE);
  const socketDir = path.join(root, o.server); // the name matches [a-z][a-z0-9_-]{0,31} (register.ts)
  rmSync(socketDir, { recursive: true, force: true }); // whatever a crash left: the folder holds the socket only
  mkdirSync(socketDir, { mode: DIR_MODE });
  chmodSync(socketDir, DIR_MODE);
  const tunnel = await openTunnel({
    socketPath: path.join(socketDir, EGRESS_SOCKET_NAME), server: o.server, policy: o.policy,
    audit: (d) => o.events.record(tunnelEvent(d)),
    onAuditError: (error) => o.logger.error('audit write failed for an upstream egress refusal', { server: o.server, error: String(error).slice(0, 200) }),
  });
  let closing: Promise<void> | undefined;
  return {
    socketDir, tunnel,
    close: () => (closing ??= tunnel.close().then(() => rmSync(socketDir, { recursive: true, force: true }))),
  };
}
