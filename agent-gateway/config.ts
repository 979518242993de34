/**
 * Configuration: parsed once from the environment at start, validated (every problem
 * listed, unknown PALISADE_* names reported), deep-frozen and passed to createApp.
 * This is the only module that knows environment variable names; main.ts hands it
 * `process.env`.
 */
import { resolve } from 'node:path';
import { PROVIDER_ENV_KEYS, providerConfigFromEnv, type ProviderConfig } from '../providers/config.ts';
import { DEFAULT_DOCKER_QUOTAS, parseDockerQuotas, type DockerQuotas } from '../sandbox/docker/quotas.ts';
import { DOCKER_POOL_VARIABLES, parseDockerPoolConfig, type DockerPoolConfig } from '../sandbox/docker/pool-config.ts';
import { parseRuntimeSetting, type DockerRuntimeSetting } from '../sandbox/docker/runtime.ts';
import { LIMITS } from '../sandbox/limits.ts';
import { deepFreeze, envReader, type Env } from './env-reader.ts';

import type { SandboxMode } from '../sandbox/select-backend.ts';

export type { SandboxMode };
export { deepFreeze };
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export interface Config {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly adminPassword: string | undefined;
  readonly auditKeyHex: string | undefined;
  /** PALISADE_PROVIDER_MASTER_KEY: encrypts stored provider keys (else a generated key file) */
  readonly providerMasterKeyHex: string | undefined;
  readonly corsOrigins: readonly string[];
  readonly allowedHosts: readonly string[];
  readonly metricsToken: string | undefined;
  readonly sandboxBackend: SandboxMode;
  readonly docker: DockerQuotas;
  /** PALISADE_DOCKER_POOL_SIZE, _JOBS_PER_CONTAINER, _MAX_JOBS, _MAX_AGE_SECONDS, _MAX_HEAP_MB (sandbox/docker/pool-config.ts) */
  readonly dockerPool: DockerPoolConfig;
  /** PALISADE_DOCKER_RUNTIME: runc | runsc | auto (default auto: runsc when the daemon lists it; sandbox/docker/runtime.ts) */
  readonly dockerRuntime: DockerRuntimeSetting;
  readonly toolsDir: string | undefined;
  /** PALISADE_MCP_SERVERS_DIR: extra folder (laid out like node_modules) of upstream MCP server packages */
  readonly mcpServersDir: string | undefined;
  /** PALISADE_MCP_SERVERS_FILE: JSON file of upstream MCP servers declared at start (read and checked by agent-gateway/upstream/declared.ts before anything starts) */
  readonly mcpServersFile: string | undefined;
  /** PALISADE_MCP_APPROVAL_WAIT_SECONDS: > 0 makes an MCP call that needs approval wait for the decision */
  readonly mcpApprovalWaitSeconds: number;
  /** PALISADE_RECEIPT_KEY: Ed25519 private key (PEM) signing call receipts; absent: a generated key file */
  readonly receiptKeyPem?: string | undefined;
  /** provider endpoints, allowlist and failover (parsed by providers/config.ts) */
  readonly providers: ProviderConfig;
  /** PALISADE_EGRESS_ALLOWLIST: extra exact origins for alert webhooks and the audit shipper */
  readonly egressAllowlist: readonly string[];
  /** PALISADE_AUDIT_SHIP_URL / _SECRET: SIEM endpoint receiving NDJSON batches */
  readonly auditShip: { readonly url: string; readonly secret: string | undefined } | undefined;
  readonly logLevel: LogLevel;
  readonly limits: {
    readonly bodyBytes: number;
    readonly toolNameChars: number;
    readonly argsDepth: number;
    readonly argsKeys: number;
    readonly outputBytes: number;
    readonly callTimeoutMs: number;
    readonly callTimeoutMaxMs: number;
    readonly isolateMemoryMb: number;
    readonly passwordChars: number;
  };
  /** approval queue caps and the approve wait (PALISADE_APPROVAL_QUEUE_MAX, _QUEUE_PER_AGENT, PALISADE_APPROVE_WAIT_MS) */
  readonly approvals: {
    readonly queueMax: number;
    readonly queuePerAgent: number;
    readonly approveWaitMs: number;
  };
  /**
   * sandbox fault isolation: an agent whose jobs end in a worker kill, timeout or memory limit
   * `faultThreshold` times within `faultWindowSeconds` has its sandbox calls refused (429) for
   * `faultCooldownSeconds` (PALISADE_SANDBOX_FAULT_THRESHOLD, _FAULT_WINDOW_SECONDS, _FAULT_COOLDOWN_SECONDS)
   */
  readonly sandbox: {
    readonly faultThreshold: number;
    readonly faultWindowSeconds: number;
    readonly faultCooldownSeconds: number;
  };
  readonly governance: {
    readonly agentBurst: number;
    readonly agentRatePerSecond: number;
    readonly breakerThreshold: number;
    readonly breakerWindowSeconds: number;
    readonly breakerCooldownSeconds: number;
  };
  readonly auth: {
    readonly pbkdf2Iterations: number;
    readonly accessTtlSeconds: number;
    readonly refreshTtlSeconds: number;
    readonly agentTtlSecondsDefault: number;
    readonly agentTtlSecondsMax: number;
    readonly loginLimitPerUsername: number;
    readonly loginLimitPerClient: number;
    readonly loginWindowSeconds: number;
    /** failures a login with a live device token may make per window (its own bucket) */
    readonly loginLimitPerDevice: number;
    /** failures per window from all untrusted clients together (a cap on PBKDF2 work) */
    readonly loginLimitUntrusted: number;
    /** PALISADE_STREAM_MAX_SECONDS: an SSE stream ends after this long (then reconnect) */
    readonly streamMaxSeconds: number;
    /** how often a stream re-checks its token while idle */
    readonly streamRecheckMs: number;
  };
}

export type ConfigResult = { ok: true; config: Config; warnings: string[] } | { ok: false; problems: string[] };

const KNOWN = new Set([
  'HOST', 'PORT', 'DATA_DIR', 'ADMIN_PASSWORD', 'AUDIT_KEY', 'CORS_ORIGINS',
  'ALLOWED_HOSTS', 'METRICS_TOKEN', 'SANDBOX_BACKEND', 'DOCKER_MEMORY', 'DOCKER_CPUS', 'DOCKER_PIDS',
  'TOOLS_DIR', 'MCP_SERVERS_DIR', 'MCP_SERVERS_FILE', 'LOG_LEVEL', 'EGRESS_ALLOWLIST', 'AUDIT_SHIP_URL', 'AUDIT_SHIP_SECRET', 'CALL_TIMEOUT_MS', 'ISOLATE_MEMORY_MB', 'PBKDF2_ITERATIONS',
  'STREAM_MAX_SECONDS',
  'APPROVAL_QUEUE_MAX', 'APPROVAL_QUEUE_PER_AGENT', 'APPROVE_WAIT_MS',
  'SANDBOX_FAULT_THRESHOLD', 'SANDBOX_FAULT_WINDOW_SECONDS', 'SANDBOX_FAULT_COOLDOWN_SECONDS',
  ...DOCKER_POOL_VARIABLES,
  'MCP_APPROVAL_WAIT_SECONDS',
  'DOCKER_RUNTIME',
  'AGENT_RATE_LIMIT',
  'RECEIPT_KEY',
].map((name) => `PALISADE_${name}`).concat(PROVIDER_ENV_KEYS));
/** every PALISADE_* name the parser knows (test/unit/docs-config.test.ts checks README's table against it) */
export const KNOWN_VARIABLES: ReadonlySet<string> = KNOWN;

export const PBKDF2_MIN_ITERATIONS = 600_000;

/** Per-agent token bucket bounds (PALISADE_AGENT_RATE_LIMIT and POST /admin/agents `rate_limit`). */
export const AGENT_RATE_LIMIT_MAX = { burst: 1_000_000, perSecond: 100_000 } as const;

/** `BURST/PER_SECOND`, e.g. `60/20` or `600/0.5`; within AGENT_RATE_LIMIT_MAX. Pure. */
export function parseRateLimit(raw: string): { ok: true; burst: number; perSecond: number } | { ok: false; problem: string } {
  const m = /^(\d{1,7})\/(\d{1,6}(?:\.\d{1,3})?)$/.exec(raw.trim());
  const burst = m ? Number(m[1]) : NaN;
  const perSecond = m ? Number(m[2]) : NaN;
  if (!m || burst < 1 || burst > AGENT_RATE_LIMIT_MAX.burst || !(perSecond > 0) || perSecond > AGENT_RATE_LIMIT_MAX.perSecond) {
    return { ok: false, problem: `must be BURST/PER_SECOND, burst 1..${AGENT_RATE_LIMIT_MAX.burst}, per second above 0 up to ${AGENT_RATE_LIMIT_MAX.perSecond} (e.g. 60/20; got ${JSON.stringify(raw.slice(0, 40))})` };
  }
  return { ok: true, burst, perSecond };
}

/** Reads the environment; returns every problem at once. */
export function parseConfig(env: Env, cwd: string = process.cwd()): ConfigResult {
  const problems: string[] = [];
  const warnings: string[] = [];
  for (const name of Object.keys(env)) {
    if (name.startsWith('PALISADE_') && !KNOWN.has(name)) problems.push(`${name}: unknown PALISADE_* variable`);
  }
  const { get, int, list, hex64, origin, path } = envReader(env, cwd, problems);

  const host = get('HOST') ?? '127.0.0.1';
  if (!/^[A-Za-z0-9.:\-[\]]{1,253}$/.test(host)) problems.push('PALISADE_HOST: not a valid host or address');
  const port = int('PORT', 8080, 0, 65535);
  const dataDir = path('DATA_DIR') ?? resolve(cwd, './data');

  const adminPassword = env['PALISADE_ADMIN_PASSWORD'] === '' ? undefined : env['PALISADE_ADMIN_PASSWORD'];
  if (adminPassword !== undefined && (adminPassword.length < 12 || adminPassword.length > 1024)) {
    problems.push('PALISADE_ADMIN_PASSWORD: must be 12 to 1024 characters');
  }

  const corsOrigins: string[] = [];
  for (const o of list('CORS_ORIGINS')) {
    if (o === '*' || o === 'null') {
      problems.push(`PALISADE_CORS_ORIGINS: ${o} is never allowed; list exact origins`);
      continue;
    }
    const n = origin('PALISADE_CORS_ORIGINS', o, ['http:', 'https:', 'chrome-extension:', 'moz-extension:']);
    if (n !== undefined) corsOrigins.push(n);
  }
  const allowedHosts = list('ALLOWED_HOSTS').map((h) => h.toLowerCase());
  for (const h of allowedHosts) {
    if (!/^[a-z0-9.\-[\]:]{1,260}$/.test(h)) problems.push(`PALISADE_ALLOWED_HOSTS: ${JSON.stringify(h)} is not a host[:port]`);
  }

  const modeRaw = get('SANDBOX_BACKEND') ?? 'auto';
  const sandboxBackend: SandboxMode = modeRaw === 'isolate' || modeRaw === 'docker' || modeRaw === 'auto' ? modeRaw : 'auto';
  if (sandboxBackend !== modeRaw) problems.push('PALISADE_SANDBOX_BACKEND: must be isolate, docker or auto');

  const quotas = parseDockerQuotas({ memory: get('DOCKER_MEMORY'), cpus: get('DOCKER_CPUS'), pids: get('DOCKER_PIDS') });
  if (!quotas.ok) problems.push(...quotas.problems);
  const docker: DockerQuotas = quotas.ok
    ? { memoryBytes: quotas.memoryBytes, nanoCpus: quotas.nanoCpus, pids: quotas.pids }
    : { memoryBytes: 0, nanoCpus: 0, pids: 0 };
  // issue 15: warm pool size, jobs per container and the recycling rules (sandbox/docker/pool-config.ts)
  const dockerPoolParsed = parseDockerPoolConfig(get, quotas.ok ? docker : DEFAULT_DOCKER_QUOTAS);
  if (!dockerPoolParsed.ok) problems.push(...dockerPoolParsed.problems);
  const dockerPool: DockerPoolConfig | undefined = dockerPoolParsed.ok ? dockerPoolParsed : undefined;
  // issue 20: runc or runsc (gVisor) for the Docker workers; unknown values refused at start
  const runtimeParsed = parseRuntimeSetting(get('DOCKER_RUNTIME'));
  if (!runtimeParsed.ok) problems.push(runtimeParsed.problem);
  const dockerRuntime: DockerRuntimeSetting = runtimeParsed.ok ? runtimeParsed.setting : 'auto';

  const toolsDir = path('TOOLS_DIR');
  // issue 16: a node_modules-like folder of upstream MCP server packages (besides the gateway's own)
  const mcpServersDir = path('MCP_SERVERS_DIR');
  const mcpServersFile = path('MCP_SERVERS_FILE');

  const egressAllowlist = list('EGRESS_ALLOWLIST')
    .map((o) => origin('PALISADE_EGRESS_ALLOWLIST', o, ['http:', 'https:']))
    .filter((o): o is string => o !== undefined);
  const shipUrl = get('AUDIT_SHIP_URL');
  const shipSecret = get('AUDIT_SHIP_SECRET');
  if (shipUrl !== undefined) {
    const o = origin('PALISADE_AUDIT_SHIP_URL', shipUrl, ['http:', 'https:']);
    if (o !== undefined && !egressAllowlist.includes(o)) problems.push('PALISADE_AUDIT_SHIP_URL: its origin must be listed in PALISADE_EGRESS_ALLOWLIST');
  }
  if (shipSecret !== undefined && (shipSecret.length < 16 || shipSecret.length > 256)) problems.push('PALISADE_AUDIT_SHIP_SECRET: must be 16 to 256 characters');
  if (shipSecret !== undefined && shipUrl === undefined) problems.push('PALISADE_AUDIT_SHIP_SECRET: set PALISADE_AUDIT_SHIP_URL too');
  const providerResult = providerConfigFromEnv(env);
  if (!providerResult.ok) problems.push(...providerResult.problems);
  else warnings.push(...providerResult.warnings);

  const levelRaw = get('LOG_LEVEL') ?? 'info';
  const levels: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent'];
  const logLevel = levels.find((l) => l === levelRaw) ?? 'info';
  if (logLevel !== levelRaw) problems.push('PALISADE_LOG_LEVEL: must be debug, info, warn, error or silent');

  // defaults live once, in sandbox/limits.ts (DESIGN §5); config.limits is the one runtime source
  const rateRaw = get('AGENT_RATE_LIMIT');
  const rate = rateRaw === undefined ? { ok: true as const, burst: 60, perSecond: 20 } : parseRateLimit(rateRaw);
  if (!rate.ok) problems.push(`PALISADE_AGENT_RATE_LIMIT: ${rate.problem}`);
  const callTimeoutMs = int('CALL_TIMEOUT_MS', LIMITS.timeoutMsDefault, 100, LIMITS.timeoutMsMax);
  const isolateMemoryMb = int('ISOLATE_MEMORY_MB', LIMITS.isolateMemoryMb, 8, 512);
  const mcpApprovalWaitSeconds = int('MCP_APPROVAL_WAIT_SECONDS', 0, 0, 600);
  const approvals = {
    queueMax: int('APPROVAL_QUEUE_MAX', 1_000, 1, 100_000),
    queuePerAgent: int('APPROVAL_QUEUE_PER_AGENT', 100, 1, 100_000),
    approveWaitMs: int('APPROVE_WAIT_MS', 2_000, 0, 60_000),
  };
  const sandbox = {
    faultThreshold: int('SANDBOX_FAULT_THRESHOLD', 5, 1, 1_000),
    faultWindowSeconds: int('SANDBOX_FAULT_WINDOW_SECONDS', 60, 1, 86_400),
    faultCooldownSeconds: int('SANDBOX_FAULT_COOLDOWN_SECONDS', 60, 1, 86_400),
  };
  const pbkdf2Iterations = int('PBKDF2_ITERATIONS', PBKDF2_MIN_ITERATIONS, PBKDF2_MIN_ITERATIONS, 10_000_000);
  const streamMaxSeconds = int('STREAM_MAX_SECONDS', 3600, 10, 86_400);

  const metricsToken = get('METRICS_TOKEN');
  if (metricsToken !== undefined && metricsToken.length < 24) problems.push('PALISADE_METRICS_TOKEN: must be at least 24 characters');
  const auditKeyHex = hex64('AUDIT_KEY');
  const providerMasterKeyHex = hex64('PROVIDER_MASTER_KEY');
  if (host !== '127.0.0.1' && host !== 'localhost' && host !== '::1') {
    warnings.push(`PALISADE_HOST=${host}: Palisade is meant to listen on loopback only`);
  }

  if (problems.length > 0 || !providerResult.ok) return { ok: false, problems };
  const config: Config = {
    host, port, dataDir, adminPassword, auditKeyHex, providerMasterKeyHex, corsOrigins, allowedHosts, metricsToken,
    receiptKeyPem: get('RECEIPT_KEY'),
    sandboxBackend, docker, dockerPool: dockerPool!, dockerRuntime, toolsDir, mcpServersDir, mcpServersFile, mcpApprovalWaitSeconds, providers: providerResult.config, logLevel, egressAllowlist,
    auditShip: shipUrl === undefined ? undefined : { url: shipUrl, secret: shipSecret },
    limits: {
      bodyBytes: 256 * 1024, toolNameChars: 256, argsDepth: 32, argsKeys: 10_000, outputBytes: LIMITS.outputBytes,
      callTimeoutMs, callTimeoutMaxMs: LIMITS.timeoutMsMax, isolateMemoryMb, passwordChars: 1024,
    },
    approvals,
    sandbox,
    governance: { agentBurst: rate.ok ? rate.burst : 60, agentRatePerSecond: rate.ok ? rate.perSecond : 20, breakerThreshold: 10, breakerWindowSeconds: 60, breakerCooldownSeconds: 300 },
    auth: {
      pbkdf2Iterations, accessTtlSeconds: 3600, refreshTtlSeconds: 7 * 24 * 3600,
      agentTtlSecondsDefault: 24 * 3600, agentTtlSecondsMax: 365 * 24 * 3600,
      loginLimitPerUsername: 5, loginLimitPerClient: 20, loginWindowSeconds: 60, loginLimitPerDevice: 5, loginLimitUntrusted: 100,
      streamMaxSeconds, streamRecheckMs: 1000,
    },
  };
  return { ok: true, config: deepFreeze(config), warnings };
}
