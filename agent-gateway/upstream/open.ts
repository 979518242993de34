/**
 * Builds the upstream MCP server service from the config (gateway.ts calls this once). Packages
 * are looked up in the gateway's own node_modules and, when set, PALISADE_MCP_SERVERS_DIR (a
 * folder laid out like node_modules). The Docker client is made on first use, so a gateway with
 * no upstream servers never talks to the daemon for them. The servers of PALISADE_MCP_SERVERS_FILE
 * are read and checked before anything starts (loadDeclared, declared.ts) and applied at start
 * (provision.ts). Servers with network "egress-allowlist" are decided by the gateway's one egress
 * client (`egress`, egress.ts).
 */
import type { DatabaseSync } from 'node:sqlite';
import type Docker from 'dockerode';
import { newDockerClient } from '../../sandbox/docker/client.ts';
import { loadMasterKey } from '../../providers/master-key.ts';
import type { Alert } from '../alerts/types.ts';
import type { Config } from '../config.ts';
import type { EventSink } from '../events.ts';
import type { Logger } from '../logger.ts';
import { GATEWAY_NODE_MODULES, loadDeclaredServers, type DeclaredServer } from './declared.ts';
import type { EgressPolicy } from './egress.ts';
import { UpstreamService } from './service.ts';
import { UpstreamStore } from './store.ts';

export { GATEWAY_NODE_MODULES };

export interface UpstreamDeps {
  readonly db: DatabaseSync;
  readonly logger: Logger;
  readonly now: () => number;
  readonly events: EventSink;
  readonly raise: (alert: Alert) => void;
  readonly builtinNames: readonly string[];
  /** the gateway's egress client (its allowlist, resolver and trusted addresses), for egress-allowlist servers */
  readonly egress?: () => EgressPolicy;
}

/**
 * PALISADE_MCP_SERVERS_FILE read and checked, every problem named (openGateway calls this before
 * anything starts, so a bad file stops the start like a bad setting). The built-in namespace
 * check waits for the registry: such a name is refused at registration, alerted.
 */
export function loadDeclared(config: Pick<Config, 'mcpServersFile' | 'mcpServersDir' | 'dataDir'>): readonly DeclaredServer[] {
  if (config.mcpServersFile === undefined) return [];
  const roots = [GATEWAY_NODE_MODULES, ...(config.mcpServersDir === undefined ? [] : [config.mcpServersDir])];
  const declared = loadDeclaredServers(config.mcpServersFile, { builtinNames: [], dataDir: config.dataDir, roots });
  if (!declared.ok) throw new Error(`invalid PALISADE_MCP_SERVERS_FILE:\n  - ${declared.problems.join('\n  - ')}`);
  return declared.servers;
}

export function openUpstream(config: Config, deps: UpstreamDeps, declared: readonly DeclaredServer[]): UpstreamService {
  const master = loadMasterKey({ dataDir: config.dataDir, ...(config.providerMasterKeyHex === undefined ? {} : { configHex: config.providerMasterKeyHex }) });
  if (!master.ok) throw new Error(`provider master key: ${master.problem}`);
  const roots = [GATEWAY_NODE_MODULES, ...(config.mcpServersDir === undefined ? [] : [config.mcpServersDir])];
  let docker: Docker | undefined;
  return new UpstreamService({
    store: new UpstreamStore(deps.db, master.key),
    docker: () => (docker ??= newDockerClient()),
    roots, dataDir: config.dataDir, quotas: config.docker, runtime: config.dockerRuntime, events: deps.events, logger: deps.logger, raise: deps.raise,
    builtinNames: deps.builtinNames, limits: config.limits, now: deps.now, instance: `upstream-${process.pid}`,
    ...(deps.egress === undefined ? {} : { egress: deps.egress }),
  }, declared);
}
