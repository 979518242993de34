/**
 * Per-stage timing of the tool-call path (issue 12): where a call's time goes, without a
 * profiler. Stages (disjoint, in call order; `total` is the whole POST /tools/call pipeline):
 *   auth      bearer token → principal (hash + prepared sqlite lookup), once per request; an
 *             open stream's re-checks of its token are not counted
 *   validate  admission up to and including ajv: kill switch, breaker, rate limit, body, scope,
 *             name, registry, sanitize, ajv
 *   policy    the policy decision (rules, session taint/risk)
 *   dispatch  the dispatcher around the backend: fault ledger, backend choice (not the sandbox)
 *   sandbox   backend.run: queue wait, IPC to the isolate host / container, the handler
 *   audit     one durable audit write (group commit with fdatasync), per event
 *   total     POST /tools/call: callTool from admission to the settled outcome (auth and the
 *             HTTP layer excluded; MCP calls record every stage but this one)
 * Recorded into the `palisade_call_stage_seconds{stage}` histogram of the gateway's metrics.
 * The sink is process-wide (the last createMetrics installs it): one gateway per process in
 * production; recording is a no-op until a sink is installed.
 */
export const CALL_STAGES = Object.freeze(['auth', 'validate', 'policy', 'dispatch', 'sandbox', 'audit', 'total'] as const);
export type CallStage = (typeof CALL_STAGES)[number];

let sink: ((stage: CallStage, seconds: number) => void) | undefined;

export function setStageSink(next: ((stage: CallStage, seconds: number) => void) | undefined): void {
  sink = next;
}

/** Records the time since `startedMs` (a performance.now() reading) for `stage`; returns now. */
export function stageSince(stage: CallStage, startedMs: number): number {
  const now = performance.now();
  sink?.(stage, Math.max(0, now - startedMs) / 1000);
  return now;
}

/** Records a duration in milliseconds. */
export function recordStage(stage: CallStage, ms: number): void {
  sink?.(stage, Number.isFinite(ms) && ms > 0 ? ms / 1000 : 0);
}
