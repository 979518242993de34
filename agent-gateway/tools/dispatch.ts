/**
 * Sends a validated call to the right worker backend. Selection is the pure selectBackend over
 * "usable" backends (healthy or degraded: a degraded pool takes calls and queues them while
 * workers restart; only a down backend refuses). A tool that asked for docker is refused when
 * docker is down, never silently run in the isolate. Before any of it, the agent's fault record
 * (sandbox/fault-ledger.ts) must admit it; a job of this agent that ends in a worker kill,
 * timeout or memory limit is charged to it. Limits come from the manifest, capped by
 * config.limits (callLimits).
 */
import { FaultLedger, type FaultPolicy, type Trip } from '../../sandbox/fault-ledger.ts';
import type { JsonValue } from '../../sandbox/json.ts';
import type { WorkerLimits } from '../../sandbox/limits.ts';
import { describeRouting, selectBackend, type RoutedTool, type SandboxMode } from '../../sandbox/select-backend.ts';
import type { BackendHealth, BackendName, WorkerBackend, WorkerResult } from '../../sandbox/worker-backend.ts';
import type { AlertServices } from '../alerts/wiring.ts';
import type { Readiness } from '../context.ts';
import type { EventSink } from '../events.ts';
import type { Logger } from '../logger.ts';
import type { RegisteredTool } from './registry.ts';
import { recordStage, stageSince } from '../metrics/stages.ts';

export type DispatchOutcome =
  | { readonly ok: true; readonly backend: BackendName; readonly result: WorkerResult }
  | { readonly ok: false; readonly code: 'SBX_ERR_UNAVAILABLE'; readonly reason: string }
  | { readonly ok: false; readonly code: 'SBX_ERR_PRINCIPAL_THROTTLED'; readonly reason: string; readonly retryAfterSeconds: number };

export interface DispatchRun {
  /** the calling agent: the fault ledger's and the pool's principal */
  readonly agentId?: string;
  /** stops the job wherever it is (a running one has its worker killed) */
  readonly signal?: AbortSignal;
  /** the caller has gone: a job still waiting for a worker is dropped unrun (SBX_ERR_ABORTED); a running one finishes */
  readonly withdraw?: AbortSignal;
}

export interface ToolDispatcher {
  run(tool: RegisteredTool, args: JsonValue, callId: string, opts?: DispatchRun): Promise<DispatchOutcome>;
  /** Kill switch: ends every queued and running sandbox job now with `code`; returns how many. */
  abortAll(code: 'SBX_ERR_KILLED' | 'SBX_ERR_ABORTED', message: string): number;
  readiness(): Readiness;
  readonly backends: { readonly isolate: WorkerBackend | undefined; readonly docker: WorkerBackend | undefined };
}

export interface DispatchOptions {
  readonly mode: SandboxMode;
  /** undefined when nothing can use it (PALISADE_SANDBOX_BACKEND=docker) */
  readonly isolate: WorkerBackend | undefined;
  readonly docker: WorkerBackend | undefined;
  /** config.limits: the one source of call limits (PALISADE_CALL_TIMEOUT_MS, PALISADE_ISOLATE_MEMORY_MB) */
  readonly limits: { readonly callTimeoutMs: number; readonly isolateMemoryMb: number; readonly outputBytes: number };
  /** per-agent fault isolation (config.sandbox) */
  readonly faults?: FaultPolicy;
  /** a trip of the fault throttle (audit + alert) */
  readonly onTrip?: (trip: Trip) => Promise<void> | void;
  readonly now?: () => number;
  /** the registered tools' risk and backend preference, for the routing summary */
  readonly tools?: readonly RoutedTool[];
}

/**
 * Limits for one call: the manifest's own timeout and memory, each capped by the operator's
 * ceiling from config (PALISADE_CALL_TIMEOUT_MS, PALISADE_ISOLATE_MEMORY_MB); output by config.
 */
export function callLimits(tool: RegisteredTool, limits: DispatchOptions['limits']): WorkerLimits {
  return Object.freeze({
    timeoutMs: Math.min(tool.manifest.timeout_ms, limits.callTimeoutMs),
    memoryMb: Math.min(tool.manifest.memory_mb, limits.isolateMemoryMb),
    maxOutputBytes: limits.outputBytes,
  });
}

/** Degraded is not down: a backend takes calls while it is healthy or degraded. */
export function usable(health: BackendHealth | undefined): boolean {
  return health !== undefined && (health.state === 'healthy' || health.state === 'degraded');
}

type BackendView = { healthy: boolean; state: BackendHealth['state']; ready?: number; total?: number; detail?: string };

function view(h: BackendHealth): BackendView {
  const workers = 'workers' in h && h.workers !== undefined ? { ready: h.workers.ready, total: h.workers.total } : {};
  return { healthy: usable(h), state: h.state, ...workers, ...(h.detail === undefined ? {} : { detail: h.detail }) };
}

export function createDispatcher(opts: DispatchOptions): ToolDispatcher {
  const ledger = opts.faults === undefined ? undefined : new FaultLedger(opts.faults, opts.now === undefined ? {} : { now: opts.now });
  return {
    backends: { isolate: opts.isolate, docker: opts.docker },
    async run(tool, args, callId, { agentId, signal, withdraw } = {}) {
      const dispatchStarted = performance.now();
      const admitted = agentId === undefined || ledger === undefined ? { ok: true as const } : ledger.admit(agentId);
      if (!admitted.ok) {
        const retryAfterSeconds = Math.max(1, Math.ceil(admitted.retryAfterMs / 1000));
        return { ok: false, code: admitted.code, reason: `this agent's sandbox jobs failed too often; retry in ${retryAfterSeconds} s`, retryAfterSeconds };
      }
      const choice = selectBackend(tool.manifest.backend, opts.mode, usable(opts.docker?.health()), usable(opts.isolate?.health()));
      if (!choice.ok) return { ok: false, code: choice.code, reason: choice.reason };
      const backend = choice.backend === 'docker' ? opts.docker : opts.isolate;
      if (backend === undefined) return { ok: false, code: 'SBX_ERR_UNAVAILABLE', reason: `${choice.backend} backend is not configured` };
      const job = {
        callId, tool: tool.manifest.name, handler: tool.handler, args, ...(agentId === undefined ? {} : { principal: agentId }),
        ...(tool.manifest.trusted ? { trusted: true } : {}), // from the manifest only, never from the caller
        ...(tool.manifest.docker_runtime === undefined ? {} : { dockerRuntime: tool.manifest.docker_runtime }), // issue 20, manifest only
      };
      const inSandbox = performance.now();
      const result = await backend.run(job, callLimits(tool, opts.limits), signal, withdraw);
      const ran = stageSince('sandbox', inSandbox);
      recordStage('dispatch', inSandbox - dispatchStarted);
      if (agentId !== undefined && ledger !== undefined && !result.ok) {
        const trip = ledger.record(agentId, result.code);
        if (trip !== undefined) await opts.onTrip?.(trip);
      }
      recordStage('dispatch', performance.now() - ran);
      return { ok: true, backend: choice.backend, result };
    },
    abortAll(code, message) {
      return (opts.isolate?.abortAll(code, message) ?? 0) + (opts.docker?.abortAll(code, message) ?? 0);
    },
    readiness() {
      const iso = opts.isolate?.health();
      const dock = opts.docker?.health();
      const docker = dock === undefined || dock.state === 'disabled' ? ('disabled' as const) : view(dock);
      const isolate = iso === undefined || iso.state === 'disabled' ? ('disabled' as const) : view(iso);
      // the gateway is ready when the backend its default tools run on takes calls; docker being
      // down only refuses docker-only tools (503) while the isolate serves
      const primary = opts.mode === 'docker' ? docker : isolate;
      const status = primary !== 'disabled' && primary.healthy ? 'ok' : 'degraded';
      const routing = describeRouting(
        opts.mode,
        dock === undefined || dock.state === 'disabled' ? undefined : { usable: usable(dock), detail: dock.detail ?? dock.state, note: opts.docker?.describe?.() },
        usable(iso), opts.tools ?? [],
      );
      return { status, backends: { isolate, docker }, routing: { by_risk: routing.byRisk, docker: routing.docker, summary: routing.line } };
    },
  };
}

/**
 * A trip of the per-agent fault throttle: audited (`sandbox.agent_throttled`) and alerted
 * (`sandbox.agent_throttled`, warning). Neither failure stops the throttle, which is already in force.
 */
export function onSandboxTrip(trip: Trip, to: { events: EventSink; logger: Logger; alerts: AlertServices | undefined }): Promise<void> {
  const seconds = Math.round(trip.blockedForMs / 1000);
  const details = { agent_id: trip.principal, faults: trip.faults, last_error: trip.code, throttled_seconds: seconds };
  to.logger.warn('sandbox: agent throttled after repeated worker faults', details);
  to.alerts?.monitor.raise({
    type: 'sandbox.agent_throttled', severity: 'warning',
    message: `agent ${trip.principal}: ${trip.faults} sandbox faults; its sandbox calls are refused for ${seconds} s`, details,
  });
  return to.events.record({ type: 'sandbox.agent_throttled', actor: 'system', outcome: 'denied', data: details })
    .catch((error: unknown) => to.logger.error('audit write failed for a sandbox throttle', { error: String(error) }));
}
