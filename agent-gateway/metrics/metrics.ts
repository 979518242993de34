/**
 * Prometheus metrics on a private prom-client Registry (never the global one). The helpers
 * take raw values and bound them (labels.ts) so no caller can create unbounded series.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { BACKENDS, boundRoute, boundStatus, boundTool, EFFECTS, METHODS, oneOf, OUTCOMES, type Outcome } from './labels.ts';
import { setStageSink } from './stages.ts';

/** 10 µs … 1 s: the stages of one call are mostly sub-millisecond */
const STAGE_BUCKETS = [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

/** Label values of palisade_mcp_requests_total (anything else is `other`). */
export const MCP_METHODS = ['initialize', 'notifications/initialized', 'server/discover', 'ping', 'tools/list', 'tools/call', 'batch', 'invalid'] as const;
export const MCP_OUTCOMES = ['ok', 'error', 'pending', 'rejected', 'expired', 'refused', 'protocol_error', 'internal'] as const;

export const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
export const AUDIT_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5];

export interface Metrics {
  readonly registry: Registry;
  readonly contentType: string;
  /** replaces the set of registered tool names used by `boundTool` */
  setKnownTools(names: Iterable<string>): void;
  toolCall(tool: string, outcome: Outcome): void;
  validationError(tool: string): void;
  policyDecision(effect: string): void;
  approvalsPending(count: number): void;
  workerHealthy(backend: string, healthy: boolean): void;
  toolCallDuration(tool: string, backend: string, seconds: number): void;
  auditWrite(seconds: number): void;
  rateLimited(route: string): void;
  httpRequest(method: string, route: string | undefined, status: number): void;
  /** one POST /mcp request by JSON-RPC method and outcome (both from fixed lists) */
  mcpRequest(method: string, outcome: string): void;
  text(): Promise<string>;
}

export interface MetricsOptions {
  readonly knownTools?: Iterable<string>;
  /** the app's route patterns; when given, any other route value is recorded as `unmatched` */
  readonly knownRoutes?: Iterable<string>;
}

export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  const registers = [registry];
  let known = new Set<string>(options.knownTools ?? []);
  const routes = options.knownRoutes === undefined ? undefined : new Set(options.knownRoutes);
  const route = (r: unknown) => (routes === undefined || (typeof r === 'string' && routes.has(r)) ? boundRoute(r) : 'unmatched');

  const calls = new Counter({ name: 'palisade_tool_calls_total', help: 'Tool calls by tool and outcome.', labelNames: ['tool', 'outcome'], registers });
  const validation = new Counter({ name: 'palisade_validation_errors_total', help: 'Tool calls whose args failed validation.', labelNames: ['tool'], registers });
  const decisions = new Counter({ name: 'palisade_policy_decisions_total', help: 'Policy decisions by effect.', labelNames: ['effect'], registers });
  const pending = new Gauge({ name: 'palisade_approvals_pending', help: 'Approval items waiting for a decision.', registers });
  const healthy = new Gauge({ name: 'palisade_worker_healthy', help: '1 when the sandbox backend is healthy, else 0.', labelNames: ['backend'], registers });
  const duration = new Histogram({
    name: 'palisade_tool_call_duration_seconds', help: 'Tool call duration in the sandbox.', labelNames: ['tool', 'backend'], buckets: DURATION_BUCKETS, registers,
  });
  const audit = new Histogram({ name: 'palisade_audit_write_seconds', help: 'Time to make one audit line durable.', buckets: AUDIT_BUCKETS, registers });
  const stage = new Histogram({
    name: 'palisade_call_stage_seconds', help: 'Time per stage of a tool call (metrics/stages.ts).', labelNames: ['stage'], buckets: STAGE_BUCKETS, registers,
  });
  setStageSink((s, secs) => stage.observe({ stage: s }, secs));
  const limited = new Counter({ name: 'palisade_rate_limited_total', help: 'Requests refused by a rate limit.', labelNames: ['route'], registers });
  const http = new Counter({ name: 'palisade_http_requests_total', help: 'HTTP requests by method, matched route and status.', labelNames: ['method', 'route', 'status'], registers });

  const mcp = new Counter({ name: 'palisade_mcp_requests_total', help: 'MCP requests by JSON-RPC method and outcome.', labelNames: ['method', 'outcome'], registers });

  const tool = (name: string) => boundTool(name, known);
  const backend = (b: string) => oneOf(b, BACKENDS, 'other');
  const seconds = (s: number) => (Number.isFinite(s) && s >= 0 ? s : 0);

  return {
    registry,
    contentType: registry.contentType,
    setKnownTools(names) { known = new Set(names); },
    toolCall(t, outcome) { calls.inc({ tool: tool(t), outcome: oneOf(outcome, OUTCOMES, 'other') }); },
    validationError(t) { validation.inc({ tool: tool(t) }); },
    policyDecision(effect) { decisions.inc({ effect: oneOf(effect, EFFECTS, 'other') }); },
    approvalsPending(count) { pending.set(Number.isFinite(count) && count >= 0 ? Math.trunc(count) : 0); },
    workerHealthy(b, ok) { healthy.set({ backend: backend(b) }, ok ? 1 : 0); },
    toolCallDuration(t, b, s) { duration.observe({ tool: tool(t), backend: backend(b) }, seconds(s)); },
    auditWrite(s) { audit.observe(seconds(s)); },
    rateLimited(r) { limited.inc({ route: route(r) }); },
    httpRequest(method, r, status) {
      http.inc({ method: oneOf(method, METHODS, 'OTHER'), route: route(r), status: boundStatus(status) });
    },
    mcpRequest(method, outcome) { mcp.inc({ method: oneOf(method, MCP_METHODS, 'other'), outcome: oneOf(outcome, MCP_OUTCOMES, 'other') }); },
    text: () => registry.metrics(),
  };
}
