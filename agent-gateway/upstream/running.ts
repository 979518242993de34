/**
 * What the supervisor (supervisor.ts) keeps per running upstream server and the options it is
 * built with; the listing, exposure and view modules read them. Types only, so that none of
 * those imports the supervisor back.
 */
import type Docker from 'dockerode';
import type { DockerQuotas } from '../../sandbox/docker/quotas.ts';
import type { DockerRuntimeSetting } from '../../sandbox/docker/runtime.ts';
import type { Alert } from '../alerts/types.ts';
import type { EventSink } from '../events.ts';
import type { Logger } from '../logger.ts';
import type { EgressPolicy } from './egress.ts';
import type { RegisteredTool } from '../tools/registry.ts';
import type { ToolState, UpstreamToolDefinition } from './pin.ts';
import type { UpstreamProcess } from './process.ts';
import type { ServerRecord, UpstreamStore } from './store.ts';

export interface UpstreamOptions {
  readonly store: UpstreamStore;
  readonly docker: () => Docker;
  readonly roots: readonly string[];
  readonly dataDir: string;
  readonly quotas: DockerQuotas;
  /** PALISADE_DOCKER_RUNTIME, resolved against the daemon like the workers' (mcpRuntime) */
  readonly runtime: DockerRuntimeSetting;
  readonly events: EventSink;
  readonly logger: Logger;
  readonly raise: (alert: Alert) => void;
  readonly builtinNames: readonly string[];
  readonly limits: { readonly callTimeoutMs: number; readonly isolateMemoryMb: number; readonly outputBytes: number };
  readonly now: () => number;
  /**
   * the gateway's egress client, asked for each tunnel decision of a network "egress-allowlist"
   * server (egress.ts); without it such a server does not start
   */
  readonly egress?: () => EgressPolicy;
  /** handshake + first tools/list, ms */
  readonly startTimeoutMs?: number;
  readonly instance?: string;
}

export interface Running {
  record: ServerRecord;
  proc: UpstreamProcess | undefined;
  status: 'starting' | 'running' | 'restarting' | 'stopped';
  states: readonly ToolState[];
  /** full name → tool, enabled or carrying `unavailable` */
  tools: Map<string, RegisteredTool>;
  problems: Map<string, string>;
  attempt: number;
  upSince: number;
  timer: NodeJS.Timeout | undefined;
  restarts: number;
}

export interface Booted {
  readonly proc: UpstreamProcess;
  readonly listed: readonly UpstreamToolDefinition[];
}
