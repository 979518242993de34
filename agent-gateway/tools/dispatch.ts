/**
 * Sends a validated call to the right worker backend. Selection is the pure selectBackend
 * (a tool that asked for docker is refused when docker is unusable, never silently run in the
 * isolate). Limits come from the manifest, capped by config.limits (callLimits).
 */
import { selectBackend, type SandboxMode } from '../../sandbox/select-backend.ts';
import type { JsonValue } from '../../sandbox/json.ts';
import type { WorkerLimits } from '../../sandbox/limits.ts';
import type { BackendName, WorkerBackend, WorkerResult } from '../../sandbox/worker-backend.ts';
import type { Readiness } from '../context.ts';
import type { RegisteredTool } from './registry.ts';

export type DispatchOutcome =
  | { readonly ok: true; readonly backend: BackendName; readonly result: WorkerResult }
  | { readonly ok: false; readonly code: 'SBX_ERR_UNAVAILABLE'; readonly reason: string };

export interface ToolDispatcher {
  run(tool: RegisteredTool, args: JsonValue, callId: string, signal?: AbortSignal): Promise<DispatchOutcome>;
  readiness(): Readiness;
  readonly backends: { readonly isolate: WorkerBackend; readonly docker: WorkerBackend | undefined };
}

export interface DispatchOptions {
  readonly mode: SandboxMode;
  readonly isolate: WorkerBackend;
  readonly docker: WorkerBackend | undefined;
  /** config.limits: the one source of call limits (PALISADE_CALL_TIMEOUT_MS, PALISADE_ISOLATE_MEMORY_MB) */
  readonly limits: { readonly callTimeoutMs: number; readonly isolateMemoryMb: number; readonly outputBytes: number };
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

function healthy(b: WorkerBackend | undefined): boolean {
  return b !== undefined && b.health().state === 'healthy';
}

export function createDispatcher(opts: DispatchOptions): ToolDispatcher {
  return {
    backends: { isolate: opts.isolate, docker: opts.docker },
    async run(tool, args, callId, signal) {
      const choice = selectBackend(tool.manifest.backend, opts.mode, healthy(opts.docker), healthy(opts.isolate));
      if (!choice.ok) return { ok: false, code: choice.code, reason: choice.reason };
      const backend = choice.backend === 'docker' ? opts.docker : opts.isolate;
      if (backend === undefined) return { ok: false, code: 'SBX_ERR_UNAVAILABLE', reason: 'docker backend is not configured' };
      const limits = callLimits(tool, opts.limits);
      const result = await backend.run({ callId, tool: tool.manifest.name, handler: tool.handler, args }, limits, signal);
      return { ok: true, backend: choice.backend, result };
    },
    readiness() {
      const iso = opts.isolate.health();
      const dock = opts.docker?.health();
      const docker = dock === undefined || dock.state === 'disabled'
        ? ('disabled' as const)
        : { healthy: dock.state === 'healthy', ...(dock.detail === undefined ? {} : { detail: dock.detail }) };
      const isolate = { healthy: iso.state === 'healthy', ...(iso.detail === undefined ? {} : { detail: iso.detail }) };
      // Docker being down degrades only docker tools (they answer 503); the gateway is ready when the isolate is.
      return { status: isolate.healthy ? 'ok' : 'degraded', backends: { isolate, docker } };
    },
  };
}
