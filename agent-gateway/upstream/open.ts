/**
 * Builds the upstream MCP server service from the config (gateway.ts calls this once). Packages
 * are looked up in the gateway's own node_modules and, when set, PALISADE_MCP_SERVERS_DIR (a
 * folder laid out like node_modules). The Docker client is made on first use, so a gateway with
 * no upstream servers never talks to the daemon for them. The servers of PALISADE_MCP_SERVERS_FILE
 * come checked with the config (declared.ts) and are applied at start (provision.ts).
 */
import type { DatabaseSync } from 'node:sqlite';
import type Docker from 'dockerode';
import { newDockerClient } from '../../sandbox/docker/client.ts';
import { loadMasterKey } from '../../providers/master-key.ts';
import type { Alert } from '../alerts/types.ts';
import type { Config } from '../config.ts';
import type { EventSink } from '../events.ts';
import type { Logger } from '../logger.ts';
import { GATEWAY_NODE_MODULES } from './declared.ts';
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
}

export function openUpstream(config: Config, deps: UpstreamDeps): UpstreamService {
  const master = loadMasterKey({ dataDir: config.dataDir, ...(config.providerMasterKeyHex === undefined ? {} : { configHex: config.providerMasterKeyHex }) });
  if (!master.ok) throw new Error(`provider master key: ${master.problem}`);
  const roots = [GATEWAY_NODE_MODULES, ...(config.mcpServersDir === undefined ? [] : [config.mcpServersDir])];
  let docker: Docker | undefined;
  return new UpstreamService({
    store: new UpstreamStore(deps.db, master.key),
    docker: () => (docker ??= newDockerClient()),
    roots, dataDir: config.dataDir, quotas: config.docker, events: deps.events, logger: deps.logger, raise: deps.raise,
    builtinNames: deps.builtinNames, limits: config.limits, now: deps.now, instance: `upstream-${process.pid}`,
  }, config.mcpServers);
}
