/**
 * What the rest of the gateway sees of the upstream MCP servers (issue 16 item 3): extra entries
 * in the one tool registry and one more destination of the one dispatcher. No second call path:
 * a call to `<server>.<tool>` goes through the same admission (scope, kill switch, sanitize, ajv
 * against the pinned inputSchema, policy, approvals) and the same executeCall (audit, output
 * schema and size, receipts); only the last hop — dispatcher.run — sends it to the server's
 * container instead of a worker. Built-ins come first: an upstream tool never shadows one.
 */
import type { JsonValue } from '../../sandbox/json.ts';
import { WITHDRAWN } from '../../sandbox/pool-core.ts';
import type { DispatchOutcome, ToolDispatcher } from '../tools/dispatch.ts';
import { callLimits } from '../tools/dispatch.ts';
import type { RegisteredTool, ToolListing, ToolRegistry } from '../tools/registry.ts';
import { inScope } from '../tools/scope.ts';
import type { Running, UpstreamOptions } from './running.ts';

type Servers = ReadonlyMap<string, Running>;

export function upstreamRegistry(base: ToolRegistry, servers: Servers): ToolRegistry {
  const upstream = (): RegisteredTool[] => [...servers.values()].flatMap((s) => [...s.tools.values()]);
  const enabled = (): RegisteredTool[] => upstream().filter((t) => t.unavailable === undefined);
  const byName = (a: { name: string }, b: { name: string }): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  const find = (name: string): RegisteredTool | undefined => {
    const dot = typeof name === 'string' ? name.indexOf('.') : -1;
    return dot <= 0 ? undefined : servers.get(name.slice(0, dot))?.tools.get(name);
  };
  return Object.freeze({
    get: (name: string) => base.get(name) ?? find(name),
    has: (name: string) => base.has(name) || find(name) !== undefined,
    list: (): readonly ToolListing[] => {
      const extra = enabled().map(({ manifest: m }) => ({
        name: m.name, description: m.description, input_schema: m.input_schema, risk: m.risk,
        requires_approval: m.requires_approval, backend: m.backend, tags: m.tags,
      }));
      return extra.length === 0 ? base.list() : [...base.list(), ...extra].sort(byName);
    },
    listInScope: (scope: readonly string[]): readonly RegisteredTool[] => {
      const extra = enabled().filter((t) => inScope(scope, t.manifest.name));
      const own = base.listInScope(scope);
      return extra.length === 0 ? own : [...own, ...extra].sort((a, b) => byName(a.manifest, b.manifest));
    },
  });
}

/** `inflight`: the upstream calls under way, which abortAll (the kill switch's stop-all) aborts. */
export function upstreamDispatcher(base: ToolDispatcher, servers: Servers, limits: UpstreamOptions['limits'], inflight: Set<AbortController>): ToolDispatcher {
  const call = async (tool: RegisteredTool, args: JsonValue, signal: AbortSignal | undefined): Promise<DispatchOutcome> => {
    const up = tool.upstream!;
    const s = servers.get(up.server);
    if (s === undefined || s.proc === undefined || !s.proc.running || s.status !== 'running') {
      const why = s === undefined ? 'is not registered' : `is ${s.status === 'running' ? 'restarting' : s.status} (it crashed or is starting; it restarts automatically)`;
      return { ok: false, code: 'SBX_ERR_UNAVAILABLE', reason: `the upstream MCP server "${up.server}" ${why}` };
    }
    const l = callLimits(tool, limits);
    const controller = new AbortController();
    const onAbort = (): void => controller.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    inflight.add(controller);
    try {
      const result = await s.proc.call(up.tool, args, l.timeoutMs, l.maxOutputBytes, controller.signal);
      return { ok: true, backend: 'docker', result };
    } finally {
      inflight.delete(controller);
      signal?.removeEventListener('abort', onAbort);
    }
  };
  return {
    backends: base.backends,
    readiness: () => base.readiness(),
    abortAll: (code, message) => {
      let n = 0;
      for (const c of inflight) {
        c.abort();
        n += 1;
      }
      return base.abortAll(code, message) + n;
    },
    run: async (tool, args, callId, run = {}): Promise<DispatchOutcome> => {
      if (tool.upstream === undefined) return base.run(tool, args, callId, run);
      // an upstream call is not queued here: it is withdrawn only if the caller left before it began
      if (run.withdraw?.aborted === true) return { ok: true, backend: 'docker', result: { ok: false, code: 'SBX_ERR_ABORTED', message: WITHDRAWN, durationMs: 0 } };
      return call(tool, args, run.signal);
    },
  };
}
