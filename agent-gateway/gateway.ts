/**
 * Opens everything the app needs from a parsed config — the sqlite state, stores, the first
 * admin (or a one-time setup token), the audit log, the tool registry and the worker
 * backends — and returns the app with a close() that drains and stops them. Used by main.ts
 * and by tests; createApp itself does no I/O.
 */
import { availableParallelism } from 'node:os';
import type { Express } from 'express';
import { createIsolateBackend } from '../sandbox/isolate/backend.ts';
import { createDockerBackend } from '../sandbox/docker/backend.ts';
import { BUILTIN_ACTIONS_DIR, readToolDir } from '../sandbox/actions/load.ts';
import type { WorkerBackend } from '../sandbox/worker-backend.ts';
import { createApp } from './app.ts';
import { ApprovalConfigStore } from './approvals/config.ts';
import { CallStore } from './approvals/calls.ts';
import { ApprovalEvents } from './approvals/events.ts';
import { ApprovalStore } from './approvals/store.ts';
import { startAlerts, type AlertServices } from './alerts/wiring.ts';
import { openAudit, type AuditService } from './audit/index.ts';
import { damageAlertFromIncident, damageAlertFromVerify } from './audit/damage.ts';
import { drainOutbox } from './audit/outbox.ts';
import { createShipper, type Shipper } from './audit/shipper.ts';
import { AgentStore } from './auth/agents.ts';
import { bootstrapAdmin } from './admin-bootstrap.ts';
import { SessionStore } from './auth/sessions.ts';
import { SetupTokenStore } from './auth/setup.ts';
import { UserStore } from './auth/users.ts';
import type { Config } from './config.ts';
import { checkDataDir, dataDirMessage } from './data-dir.ts';
import { MIGRATIONS } from './migrations.ts';
import type { CoreContext } from './context.ts';
import type { EventSink } from './events.ts';
import { alertRoutes } from './http/routes/alerts.ts';
import { approvalRoutes } from './http/routes/approvals.ts';
import { auditRoutes } from './http/routes/audit.ts';
import { governanceRoutes } from './http/routes/governance.ts';
import { agentViewRoutes } from './http/routes/agents-view.ts';
import { metricsRoutes } from './http/routes/metrics.ts';
import { consoleRoutes } from './http/routes/console.ts';
import { mcpRoutes } from './http/routes/mcp.ts';
import { toolRoutes } from './http/routes/tools.ts';
import { chatRoutes } from './http/routes/chat.ts';
import { privacyRoutes } from './http/routes/privacy.ts';
import { providerRoutes } from './http/routes/providers.ts';
import { redactionRoutes } from './http/routes/redaction.ts';
import { openProviderServices, type ProviderServices } from './providers-services.ts';
import { createMetrics } from './metrics/metrics.ts';
import { metricsObserver, timedSink } from './metrics/observer.ts';
import { silentLogger, workerLogLevel, type Logger } from './logger.ts';
import { AgentCircuitBreaker } from './policy/circuit-breaker.ts';
import { KillSwitchStore } from './policy/kill-switch.ts';
import { AgentRateLimiter } from './policy/rate-limit.ts';
import { PolicyStore } from './policy/store.ts';
import { openDatabase } from './store/db.ts';
import { createDispatcher, onSandboxTrip, usable } from './tools/dispatch.ts';
import { buildRegistry, type ToolRegistry } from './tools/registry.ts';
import type { ToolServices } from './tools/services.ts';
import { GovernanceState } from './governance/state.ts';
import { loadReceiptSigner } from './receipts/receipt.ts';
import { mcpServerRoutes } from './http/routes/mcp-servers.ts';
import { loadDeclared, openUpstream } from './upstream/open.ts';
import { toolRuntimeProblems } from '../sandbox/docker/runtime.ts';

export interface GatewayOptions {
  readonly logger?: Logger;
  readonly now?: () => number;
  /** where the one-time setup token is shown (main.ts: stderr) */
  readonly print?: (line: string) => void;
  /** replaces the worker backends (tests of refusal paths) */
  readonly backends?: { readonly isolate: WorkerBackend; readonly docker?: WorkerBackend };
  /** provider key fallback read by main.ts (OPENAI_API_KEY…); consulted after stored keys */
  readonly keyEnv?: Readonly<Record<string, string | undefined>>;
  /** wraps the durable audit sink (tests inject a failing sink to prove audit-or-refuse) */
  readonly wrapEvents?: (sink: EventSink) => EventSink;
}

export interface Gateway {
  readonly app: Express;
  readonly ctx: CoreContext;
  readonly tools: ToolServices;
  readonly audit: AuditService;
  readonly providers: ProviderServices;
  readonly alerts: AlertServices;
  close(): Promise<void>;
}

/** the ordered migration list lives in migrations.ts (light to import: the CLI opens state with it) */
export { MIGRATIONS };

/** Built-in actions, then the operator's tools; every bad manifest is listed. */
export function loadRegistry(config: Config): ToolRegistry {
  const raw = [...readToolDir(BUILTIN_ACTIONS_DIR), ...(config.toolsDir === undefined ? [] : readToolDir(config.toolsDir))];
  const built = buildRegistry(raw);
  if (!built.ok) throw new Error(`invalid tool manifests:\n${built.problems.map((p) => `  - ${p}`).join('\n')}`);
  const manifests = built.registry.list().map((t) => built.registry.get(t.name)!.manifest);
  const runtimeProblems = toolRuntimeProblems(manifests, config.dockerRuntime); // issue 20: only towards the stronger runtime
  if (runtimeProblems.length > 0) throw new Error(`invalid tool manifests:\n${runtimeProblems.map((p) => `  - ${p}`).join('\n')}`);
  return built.registry;
}

/**
 * Isolate hosts: one per available core (docker: two workers) one agent may use, plus one standby no single agent can take (so one
 * agent's crashing jobs never empty the pool for the others); no isolate hosts when
 * PALISADE_SANDBOX_BACKEND=docker unless a tool insists on the isolate (nothing would use them).
 */
function startBackends(config: Config, logger: Logger, registry: ToolRegistry): { isolate: WorkerBackend | undefined; docker: WorkerBackend | undefined } {
  const isolateUsed = config.sandboxBackend !== 'docker' || registry.list().some((t) => t.backend === 'isolate');
  const isolate = !isolateUsed ? undefined : createIsolateBackend({
    children: Math.max(1, availableParallelism()), spare: 1, queueLimit: 64, queueLimitPerPrincipal: 16, // one isolate host per core (issue 12)
    defaultMemoryMb: config.limits.isolateMemoryMb, log: (line) => logger[workerLogLevel(line)]('isolate', { line }),
  });
  const docker = config.sandboxBackend === 'isolate'
    ? undefined
    : createDockerBackend({
      // the queue bounds of the isolate backend: with 8 per agent, one agent at 10 connections got
      // 503 GW_ERR_WORKERS_SATURATED whenever several containers were being replaced at once (at
      // each 503 the agent had 8 queued, 1 running, 4 of 5 positions starting; issue 15)
      enabled: true, quotas: config.docker, spare: 1, maxQueue: 64, maxQueuePerPrincipal: 16,
      // issue 15: warm pool from cores and PALISADE_DOCKER_MEMORY unless set, two layers, recycling rules
      poolSize: config.dockerPool.poolSize, jobsPerContainer: config.dockerPool.jobsPerContainer,
      maxJobsPerContainer: config.dockerPool.maxJobsPerContainer, maxContainerAgeMs: config.dockerPool.maxContainerAgeMs,
      maxWorkerHeapBytes: config.dockerPool.maxWorkerHeapBytes,
      runtime: config.dockerRuntime, // issue 20: runc | runsc (gVisor) | auto
      log: (line) => logger.info('docker', { line }),
    });
  return { isolate, docker };
}

export async function openGateway(config: Config, options: GatewayOptions = {}): Promise<Gateway> {
  const logger = options.logger ?? silentLogger;
  const now = options.now ?? Date.now;
  const dataDir = checkDataDir(config.dataDir);
  if (!dataDir.ok) throw new Error(dataDirMessage(dataDir));
  const registry = loadRegistry(config);
  const declaredServers = loadDeclared(config);
  const db = openDatabase(config.dataDir, MIGRATIONS);
  // the worker hosts (child processes, the slowest part of a start) come up while the rest opens;
  // openGateway still returns only once they are ready (or have failed to start)
  const backends = options.backends ?? startBackends(config, logger, registry);
  const backendsStarted = Promise.all([backends.isolate?.start(), backends.docker?.start()]);
  backendsStarted.catch(() => undefined); // awaited below; a rejection meanwhile is not "unhandled"
  const users = new UserStore(db);
  const setup = new SetupTokenStore(db);
  // a start that fails from here on leaves no worker host behind
  const abandon = async (error: unknown): Promise<never> => {
    await Promise.all([backends.isolate?.close(), backends.docker?.close()]);
    throw error;
  };
  await bootstrapAdmin(config, users, setup, now(), logger, options.print ?? ((l) => logger.warn(l))).catch(abandon);
  let alerts: AlertServices | undefined;
  let audit: ReturnType<typeof openAudit>;
  try {
    audit = openAudit({
      dataDir: config.dataDir, db, logger,
      ...(config.auditKeyHex === undefined ? {} : { configKeyHex: config.auditKeyHex }),
      onFailure: (error) => {
        logger.error('audit write failed', { code: error.code });
        alerts?.monitor.recordAuditFailure();
      },
      onDamage: (result) => alerts?.monitor.raise(damageAlertFromVerify(result)),
    });
  } catch (error) {
    return abandon(error);
  }

  // events the CLI queued while no gateway (the audit log's one writer) was running
  await drainOutbox(db, audit.sink).catch(abandon);
  let draining: Promise<unknown> = Promise.resolve();
  const outboxTimer = setInterval(() => {
    draining = draining.then(() => drainOutbox(db, audit.sink))
      .catch((error: unknown) => logger.error('audit outbox drain failed', { error: String(error) }));
  }, 2_000);
  outboxTimer.unref();

  await backendsStarted;
  const sb = config.sandbox;
  const dispatcher = createDispatcher({
    mode: config.sandboxBackend, isolate: backends.isolate, docker: backends.docker,
    limits: config.limits, now, tools: registry.list(),
    faults: { threshold: sb.faultThreshold, windowMs: sb.faultWindowSeconds * 1000, cooldownMs: sb.faultCooldownSeconds * 1000 },
    onTrip: (trip) => onSandboxTrip(trip, { events, logger, alerts }),
  });
  const routing = dispatcher.readiness().routing;
  if (routing !== undefined) {
    const degraded = config.sandboxBackend === 'auto' && routing.docker.startsWith('unavailable');
    logger[degraded ? 'warn' : 'info'](`sandbox: ${routing.summary}`);
  }
  const metrics = createMetrics({ knownTools: registry.list().map((t) => t.name) });
  const timed = timedSink(audit.sink, metrics);
  const events = options.wrapEvents === undefined ? timed : options.wrapEvents(timed);
  const agents = new AgentStore(db);
  const calls = new CallStore(db, { now });
  const approvalEvents = new ApprovalEvents();
  const g = config.governance;
  // issue 16: upstream MCP servers; their tools join the one registry, their calls the one dispatcher
  const upstream = openUpstream(config, {
    db, logger, now, events, raise: (alert) => alerts?.monitor.raise(alert), builtinNames: registry.list().map((t) => t.name),
    // network "egress-allowlist" servers: the one egress client (built below, asked only once a server starts)
    egress: () => providers.registry.egress,
  }, declaredServers);
  const tools: ToolServices = {
    registry: upstream.registry(registry), dispatcher: upstream.dispatcher(dispatcher), calls,
    approvals: new ApprovalStore(db, { now, events: approvalEvents, calls }),
    approvalConfig: new ApprovalConfigStore(db, { now }),
    approvalEvents,
    policy: new PolicyStore(db, { now }),
    killSwitch: new KillSwitchStore(db, { now }),
    rateLimiter: new AgentRateLimiter({ capacity: g.agentBurst, refillPerSecond: g.agentRatePerSecond }, {
      now, limitFor: (id) => {
        const own = agents.rateLimitOf(id);
        return own === undefined ? undefined : { capacity: own.burst, refillPerSecond: own.perSecond };
      },
    }),
    breaker: new AgentCircuitBreaker({
      threshold: g.breakerThreshold, windowMs: g.breakerWindowSeconds * 1000, cooldownMs: g.breakerCooldownSeconds * 1000,
    }, { now }),
    events,
    observer: { ...metricsObserver(metrics), validationError: (tool) => {
      metrics.validationError(tool);
      alerts?.monitor.recordValidationError();
    }, approvalQueueFull: () => {
      // the queue-depth detector raises the alert now rather than at its next interval
      alerts?.monitor.tick().catch((error: unknown) => logger.warn('alert check failed', { error: String(error) }));
    }, approvalTampered: (approvalId) => {
      logger.error('a stored approval does not match its digest; it was not run', { approval_id: approvalId });
      alerts?.monitor.raise({
        type: 'approval.tampered', severity: 'critical',
        message: `approval ${approvalId}: the stored call does not match its digest (edited at rest); it was not run`,
        details: { approval_id: approvalId },
      });
    } },
    outputBytes: config.limits.outputBytes,
    now,
    approvalLimits: config.approvals,
    governance: new GovernanceState(db),
    receipts: loadReceiptSigner(config.dataDir, config.receiptKeyPem),
    chainOf: (agentId) => agents.chainOf(agentId),
    agentScope: (agentId) => agents.scopeOf(agentId, now()),
    background: new Set(),
    onBackgroundError: (error) => logger.error('approved call failed in the background', { error: error instanceof Error ? error.message : String(error) }),
  };
  const ctx: CoreContext = {
    config, db, logger, now, users, setup, events, metrics,
    readiness: () => dispatcher.readiness(),
    sessions: new SessionStore(db, config.auth),
    agents,
  };
  const providers = openProviderServices(config, db, logger, {
    now, extraAllowlist: config.egressAllowlist, ...(options.keyEnv === undefined ? {} : { keyEnv: options.keyEnv }),
  });
  // degraded is not down: a backend that takes calls (healthy or degraded) is not "unhealthy"
  const workerHealth = (): { backend: string; healthy: boolean }[] => [backends.isolate, backends.docker]
    .filter((b): b is WorkerBackend => b !== undefined && b.health().state !== 'disabled')
    .map((b) => ({ backend: b.name, healthy: usable(b.health()) }));
  alerts = startAlerts({
    db, now, events, logger, egress: providers.registry.egress, keyWarnDays: 14,
    probes: {
      workerHealth,
      approvalQueueDepth: () => tools.approvals.pendingCount(),
      providerKeys: () => providers.keys.keysNearExpiry(3650).map((k) => ({ provider: k.provider, expires_at: k.expiresAt })),
    },
  });
  for (const incident of audit.log.incidents) alerts.monitor.raise(damageAlertFromIncident(incident));
  const shipper: Shipper | undefined = config.auditShip === undefined ? undefined : createShipper({
    source: audit.source, url: config.auditShip.url, logger, subscribe: (l) => audit.log.onAppend(l),
    ...(config.auditShip.secret === undefined ? {} : { secret: config.auditShip.secret }),
    post: async (url, body, headers) => {
      const res = await providers.registry.egress.request(url, { method: 'POST', headers, body });
      res.cancel();
      return { status: res.status };
    },
  });
  shipper?.start();
  const app = createApp(ctx, [
    toolRoutes(ctx, tools), mcpRoutes(ctx, tools), approvalRoutes(ctx, tools), governanceRoutes(ctx, tools), agentViewRoutes(ctx, tools), auditRoutes(ctx, audit),
    chatRoutes(ctx, providers), providerRoutes(ctx, providers), redactionRoutes(ctx, providers), privacyRoutes(ctx, providers, tools, audit),
    alertRoutes(ctx, alerts), mcpServerRoutes(ctx, upstream),
    metricsRoutes(ctx, metrics, { workers: workerHealth, approvalsPending: () => tools.approvals.pendingCount() }),
    consoleRoutes(),
  ]);
  void upstream.startAll(); // stored servers come back in the background (a slow one never delays the start)
  return {
    app, ctx, tools, audit, providers, alerts,
    close: async () => {
      clearInterval(outboxTimer);
      while (tools.background.size > 0) await Promise.allSettled([...tools.background]);
      await draining;
      await drainOutbox(db, audit.sink);
      await Promise.all([alerts.monitor.stop(), shipper?.stop(), upstream.close()]);
      await Promise.all([backends.isolate?.close(), backends.docker?.close(), providers.close()]);
      await audit.close();
      db.close();
    },
  };
}
