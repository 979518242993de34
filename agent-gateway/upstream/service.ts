/**
 * Upstream MCP servers (issue 16): registration, the running processes, pinning, and what the
 * rest of the gateway sees — extra entries in the one tool registry and one more destination
 * of the one dispatcher. No second call path: a call to `<server>.<tool>` goes through the same
 * admission (scope, kill switch, sanitize, ajv against the pinned inputSchema, policy,
 * approvals) and the same executeCall (audit, output schema and size, receipts); only the last
 * hop — dispatcher.run — sends it to the server's container instead of a worker.
 *
 * A crashed server is restarted with exponential backoff (250 ms doubling to 30 s, reset after a
 * minute up) and reported (alert `upstream.crashed`, audit `mcp_server.crashed`). Every
 * tools/list (at start, on the server's list_changed notification, on GET of the server) is
 * reconciled against the pins: a changed definition disables the tool at once and raises
 * `upstream.definition_changed` with the diff; an unpinned tool stays disabled.
 */
import type Docker from 'dockerode';
import type { JsonValue } from '../../sandbox/json.ts';
import { loadSeccompProfile } from '../../sandbox/docker/container-config.ts';
import { ensureWorkerImage } from '../../sandbox/docker/image.ts';
import { mcpContainerSpec, type McpBind } from '../../sandbox/docker/mcp-container.ts';
import type { DockerQuotas } from '../../sandbox/docker/quotas.ts';
import type { Alert } from '../alerts/types.ts';
import { gwError } from '../errors.ts';
import { auditThen, type EventSink, type GatewayEvent } from '../events.ts';
import type { Logger } from '../logger.ts';
import type { DispatchOutcome, ToolDispatcher } from '../tools/dispatch.ts';
import { callLimits } from '../tools/dispatch.ts';
import type { RegisteredTool, ToolListing, ToolRegistry } from '../tools/registry.ts';
import { inScope } from '../tools/scope.ts';
import { inContainer, resolvePackage } from './package-closure.ts';
import { definitionSha256, reconcile, type Pin, type ToolState, type UpstreamToolDefinition } from './pin.ts';
import { UpstreamProcess } from './process.ts';
import { checkEnv, checkMounts, checkNetwork, checkServerName, type RegisterBody } from './register.ts';
import { scanDescription, type ScanFlag } from './scan.ts';
import type { ServerRecord, UpstreamStore } from './store.ts';
import { buildUpstreamTool } from './tools.ts';

export interface UpstreamOptions {
  readonly store: UpstreamStore;
  readonly docker: () => Docker;
  readonly roots: readonly string[];
  readonly dataDir: string;
  readonly quotas: DockerQuotas;
  readonly events: EventSink;
  readonly logger: Logger;
  readonly raise: (alert: Alert) => void;
  readonly builtinNames: readonly string[];
  readonly limits: { readonly callTimeoutMs: number; readonly isolateMemoryMb: number; readonly outputBytes: number };
  readonly now: () => number;
  /** handshake + first tools/list, ms */
  readonly startTimeoutMs?: number;
  readonly instance?: string;
}

export interface ToolView {
  readonly name: string;
  readonly state: ToolState['state'] | 'invalid';
  readonly sha256: string;
  readonly pinned_sha256: string | null;
  readonly flags: readonly ScanFlag[];
  readonly problem?: string;
  readonly diff?: string;
}

interface Running {
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

const BACKOFF_MIN_MS = 250;
const BACKOFF_MAX_MS = 30_000;

export class UpstreamService {
  readonly #o: UpstreamOptions;
  readonly #servers = new Map<string, Running>();
  readonly #inflight = new Set<AbortController>();
  #image: Promise<string> | undefined;
  #closed = false;

  constructor(options: UpstreamOptions) {
    this.#o = options;
  }

  // ---- what the gateway sees ------------------------------------------------------------

  /** The one registry: built-ins first (an upstream tool can never shadow one), then upstream tools. */
  registry(base: ToolRegistry): ToolRegistry {
    const upstream = (): RegisteredTool[] => [...this.#servers.values()].flatMap((s) => [...s.tools.values()]);
    const enabled = (): RegisteredTool[] => upstream().filter((t) => t.unavailable === undefined);
    const byName = (a: { name: string }, b: { name: string }): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
    const find = (name: string): RegisteredTool | undefined => {
      const dot = typeof name === 'string' ? name.indexOf('.') : -1;
      return dot <= 0 ? undefined : this.#servers.get(name.slice(0, dot))?.tools.get(name);
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

  /** The one dispatcher, with upstream tools sent to their server's container. */
  dispatcher(base: ToolDispatcher): ToolDispatcher {
    return {
      backends: base.backends,
      readiness: () => base.readiness(),
      abortAll: (code, message) => {
        let n = 0;
        for (const c of this.#inflight) {
          c.abort();
          n += 1;
        }
        return base.abortAll(code, message) + n;
      },
      run: async (tool, args, callId, signal, agentId): Promise<DispatchOutcome> => {
        if (tool.upstream === undefined) return base.run(tool, args, callId, signal, agentId);
        return this.#call(tool, args, signal);
      },
    };
  }

  async #call(tool: RegisteredTool, args: JsonValue, signal: AbortSignal | undefined): Promise<DispatchOutcome> {
    const up = tool.upstream!;
    const s = this.#servers.get(up.server);
    if (s === undefined || s.proc === undefined || !s.proc.running || s.status !== 'running') {
      const why = s === undefined ? 'is not registered' : `is ${s.status === 'running' ? 'restarting' : s.status} (it crashed or is starting; it restarts automatically)`;
      return { ok: false, code: 'SBX_ERR_UNAVAILABLE', reason: `the upstream MCP server "${up.server}" ${why}` };
    }
    const limits = callLimits(tool, this.#o.limits);
    const controller = new AbortController();
    const onAbort = (): void => controller.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    this.#inflight.add(controller);
    try {
      const result = await s.proc.call(up.tool, args, limits.timeoutMs, limits.maxOutputBytes, controller.signal);
      return { ok: true, backend: 'docker', result };
    } finally {
      this.#inflight.delete(controller);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  // ---- lifecycle --------------------------------------------------------------------------

  /** Starts every stored server (gateway start). Failures are logged and retried with backoff. */
  async startAll(): Promise<void> {
    await Promise.all(this.#o.store.list().map(async (record) => {
      const s = this.#entry(record);
      await this.#launch(s).catch((error: unknown) => {
        this.#o.logger.warn('upstream MCP server did not start; retrying', { server: record.name, error: String(error).slice(0, 300) });
        this.#scheduleRestart(s);
      });
    }));
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#servers.values()].map((s) => this.#stop(s)));
  }

  #entry(record: ServerRecord): Running {
    const s: Running = {
      record, proc: undefined, status: 'starting', states: [], tools: new Map(), problems: new Map(),
      attempt: 0, upSince: 0, timer: undefined, restarts: 0,
    };
    this.#servers.set(record.name, s);
    return s;
  }

  async #stop(s: Running): Promise<void> {
    s.status = 'stopped';
    if (s.timer !== undefined) clearTimeout(s.timer);
    s.timer = undefined;
    const proc = s.proc;
    s.proc = undefined;
    await proc?.stop();
  }

  #imageTag(): Promise<string> {
    this.#image ??= ensureWorkerImage(this.#o.docker()).then((r) => {
      if (!r.ok) {
        this.#image = undefined;
        throw new Error(r.reason);
      }
      return r.tag;
    });
    return this.#image;
  }

  async #spec(record: ServerRecord, env: Readonly<Record<string, string>>): Promise<Docker.ContainerCreateOptions> {
    const closure = resolvePackage(this.#o.roots, record.package, record.version);
    if (!closure.ok) throw gwError(closure.code, closure.reason);
    const binds: McpBind[] = [
      ...closure.closure.dirs.map((d) => ({ hostPath: d, containerPath: inContainer(d), readOnly: true })),
      ...record.mounts.map((m) => ({ hostPath: m.host_path, containerPath: m.container_path, readOnly: m.read_only })),
    ];
    return mcpContainerSpec({
      image: await this.#imageTag(), quotas: this.#o.quotas, seccomp: loadSeccompProfile(), instance: this.#o.instance ?? 'upstream',
      server: record.name, entry: inContainer(closure.closure.entry), args: record.args,
      env: Object.entries(env).map(([k, v]) => `${k}=${v}`), binds,
    });
  }

  /** Starts the container, connects, lists tools; returns the listing (not yet reconciled). */
  async #boot(record: ServerRecord, env: Readonly<Record<string, string>>, s: Running | undefined): Promise<{ proc: UpstreamProcess; listed: readonly UpstreamToolDefinition[] }> {
    const timeout = this.#o.startTimeoutMs ?? 30_000;
    const spec = await this.#spec(record, env);
    const proc = await UpstreamProcess.start(this.#o.docker(), spec, {
      onCrash: (reason, stderr) => { if (s !== undefined) this.#crashed(s, reason, stderr); },
      onListChanged: () => { if (s !== undefined) void this.refresh(record.name).catch(() => undefined); },
    }, timeout);
    try {
      return { proc, listed: await proc.listTools(timeout) };
    } catch (error) {
      await proc.stop();
      throw error;
    }
  }

  async #launch(s: Running): Promise<void> {
    s.status = 'starting';
    const { proc, listed } = await this.#boot(s.record, this.#o.store.env(s.record.name), s);
    if (this.#closed || (s.status as Running['status']) === 'stopped') {
      await proc.stop();
      return;
    }
    s.proc = proc;
    s.status = 'running';
    s.upSince = this.#o.now();
    await this.#apply(s, listed);
  }

  #crashed(s: Running, reason: string, stderr: string): void {
    if (this.#closed || s.status === 'stopped') return;
    s.proc = undefined;
    s.status = 'restarting';
    s.restarts += 1;
    const details = { server: s.record.name, reason: reason.slice(0, 200), restarts: s.restarts };
    this.#o.logger.warn('upstream MCP server crashed; restarting', { ...details, stderr: stderr.slice(-500) });
    this.#o.raise({ type: 'upstream.crashed', severity: 'warning', message: `upstream MCP server ${s.record.name} ended (${details.reason}); restarting`, details });
    void this.#o.events.record({ type: 'mcp_server.crashed', actor: 'system', outcome: 'error', data: details } satisfies GatewayEvent)
      .catch((error: unknown) => this.#o.logger.error('audit write failed for an upstream crash', { error: String(error) }));
    this.#scheduleRestart(s);
  }

  #scheduleRestart(s: Running): void {
    if (this.#closed || s.status === 'stopped' || s.timer !== undefined) return;
    s.status = 'restarting';
    if (s.upSince > 0 && this.#o.now() - s.upSince > 60_000) s.attempt = 0;
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** s.attempt);
    s.attempt += 1;
    s.timer = setTimeout(() => {
      s.timer = undefined;
      this.#launch(s).catch((error: unknown) => {
        this.#o.logger.warn('upstream MCP server restart failed', { server: s.record.name, error: String(error).slice(0, 300) });
        this.#scheduleRestart(s);
      });
    }, delay);
    s.timer.unref();
  }

  // ---- pins --------------------------------------------------------------------------------

  /** Reconciles a listing with the stored pins and rebuilds the server's registry entries. */
  async #apply(s: Running, listed: readonly UpstreamToolDefinition[]): Promise<void> {
    const pins = this.#o.store.pins(s.record.name);
    const before = new Map(s.states.map((t) => [t.definition.name, t.state]));
    const states = reconcile(pins, listed);
    const tools = new Map<string, RegisteredTool>();
    const problems = new Map<string, string>();
    for (const st of states) {
      const built = buildUpstreamTool(s.record.name, st.definition, st.state === 'changed' ? st.pinned.sha256 : st.sha256, this.#o.limits.callTimeoutMs);
      if (!built.ok) {
        problems.set(st.definition.name, built.problem);
        continue;
      }
      const name = built.tool.manifest.name;
      if (this.#o.builtinNames.includes(name)) continue; // never shadows a built-in
      const unavailable = st.state === 'enabled' ? undefined
        : st.state === 'changed'
          ? { code: 'GW_ERR_TOOL_DEFINITION_CHANGED' as const, detail: `The definition of ${name} changed since it was pinned; it is disabled until an admin re-pins it.` }
          : { code: 'GW_ERR_TOOL_NOT_PINNED' as const, detail: `${name} is new and not pinned; it is disabled until an admin pins it.` };
      tools.set(name, unavailable === undefined ? built.tool : Object.freeze({ ...built.tool, unavailable }));
    }
    s.states = states;
    s.tools = tools;
    s.problems = problems;
    for (const st of states) {
      if (st.state !== 'changed' || before.get(st.definition.name) === 'changed') continue;
      const details = {
        server: s.record.name, tool: `${s.record.name}.${st.definition.name}`, pinned_sha256: st.pinned.sha256, new_sha256: st.sha256,
        diff: st.diff.slice(0, 2000),
      };
      this.#o.logger.warn('upstream tool definition changed; tool disabled', details);
      this.#o.raise({
        type: 'upstream.definition_changed', severity: 'critical',
        message: `upstream tool ${details.tool}: its definition changed since it was pinned; disabled until re-pinned`, details,
      });
      await this.#o.events.record({ type: 'mcp_server.definition_changed', actor: 'system', outcome: 'denied', data: details } satisfies GatewayEvent)
        .catch((error: unknown) => this.#o.logger.error('audit write failed for a definition change', { error: String(error) }));
    }
  }

  /** tools/list now and reconcile; the server's current state */
  async refresh(name: string): Promise<void> {
    const s = this.#servers.get(name);
    if (s === undefined || s.proc === undefined || s.status !== 'running') return;
    await this.#apply(s, await s.proc.listTools(this.#o.startTimeoutMs ?? 30_000));
  }

  view(name: string): Record<string, JsonValue> | undefined {
    const s = this.#servers.get(name);
    const record = s?.record ?? this.#o.store.get(name);
    if (record === undefined) return undefined;
    const pins = this.#o.store.pins(name);
    const tools: ToolView[] = (s?.states ?? []).map((st) => this.#toolView(st, pins, s?.problems.get(st.definition.name)));
    return {
      name: record.name, package: record.package, version: record.version, args: [...record.args], env: [...record.envNames],
      mounts: record.mounts.map((m) => ({ ...m })), network: record.network, status: s?.status ?? 'stopped', restarts: s?.restarts ?? 0,
      created_by: record.createdBy, created_at: new Date(record.createdAt).toISOString(),
      tools: tools as unknown as JsonValue,
    };
  }

  #toolView(st: ToolState, pins: ReadonlyMap<string, Pin>, problem: string | undefined): ToolView {
    return {
      name: `${this.#nameOf(st)}`, state: problem === undefined ? st.state : 'invalid', sha256: st.sha256,
      pinned_sha256: pins.get(st.definition.name)?.sha256 ?? null, flags: scanDescription(st.definition.description),
      ...(problem === undefined ? {} : { problem }), ...(st.state === 'changed' ? { diff: st.diff } : {}),
    };
  }

  #nameOf(st: ToolState): string {
    for (const [n, s] of this.#servers) if (s.states.includes(st)) return `${n}.${st.definition.name}`;
    return st.definition.name;
  }

  list(): Record<string, JsonValue>[] {
    return this.#o.store.list().map((r) => this.view(r.name)).filter((v): v is Record<string, JsonValue> => v !== undefined);
  }

  // ---- admin changes (audit-or-refuse) ------------------------------------------------------

  async register(body: RegisterBody, actor: string, requestId: string): Promise<Record<string, JsonValue>> {
    const name = checkServerName(body.name, this.#o.builtinNames);
    if (!name.ok) throw gwError(name.code, name.reason);
    if (this.#servers.has(body.name) || this.#o.store.get(body.name) !== undefined) throw gwError('GW_ERR_CONFLICT', 'An MCP server with that name exists.');
    const network = checkNetwork(body.network);
    if (!network.ok) throw gwError(network.code, network.reason);
    const env = checkEnv(body.env);
    if (!env.ok) throw gwError(env.code, env.reason);
    const mounts = checkMounts(body.mounts, this.#o.dataDir);
    if (!mounts.ok) throw gwError(mounts.code, mounts.reason);
    const pkg = resolvePackage(this.#o.roots, body.package, body.version);
    if (!pkg.ok) throw gwError(pkg.code, pkg.reason);
    const record: ServerRecord = {
      name: body.name, package: body.package, version: body.version, args: [...(body.args ?? [])], envNames: Object.keys(env.value).sort(),
      mounts: mounts.value, network: 'none', createdBy: actor, createdAt: this.#o.now(),
    };
    const s = this.#entry(record);
    let booted: { proc: UpstreamProcess; listed: readonly UpstreamToolDefinition[] };
    try {
      booted = await this.#boot(record, env.value, s);
    } catch (error) {
      this.#servers.delete(body.name);
      this.#o.logger.warn('upstream MCP server did not start at registration', { server: body.name, error: String(error).slice(0, 300) });
      throw error instanceof Error && 'code' in error && typeof (error as { code: unknown }).code === 'string' && String((error as { code: string }).code).startsWith('GW_ERR_')
        ? error : gwError('GW_ERR_UPSTREAM_START', 'The MCP server did not start or did not answer tools/list within the start timeout.');
    }
    // first registration pins every tool the server listed (the admin sees the scan flags)
    const pins: Pin[] = booted.listed.map((d) => ({ tool: d.name, sha256: definitionSha256(d), definition: d }));
    try {
      await auditThen(this.#o.events, {
        plan: () => pins,
        event: (p): GatewayEvent => ({
          type: 'mcp_server.register', actor, outcome: 'ok', requestId,
          data: {
            server: record.name, package: record.package, version: record.version, env: [...record.envNames],
            mounts: record.mounts.map((m) => ({ ...m })), network: record.network, pinned: p.map((x) => ({ tool: x.tool, sha256: x.sha256 })),
          },
        }),
        apply: (p) => this.#o.store.insert(record, env.value, p, this.#o.now()),
      });
    } catch (error) {
      this.#servers.delete(body.name);
      await booted.proc.stop();
      throw error;
    }
    s.proc = booted.proc;
    s.status = 'running';
    s.upSince = this.#o.now();
    await this.#apply(s, booted.listed);
    return this.view(record.name)!;
  }

  async pin(name: string, only: readonly string[] | undefined, actor: string, requestId: string): Promise<Record<string, JsonValue>> {
    const s = this.#servers.get(name);
    if (s === undefined) throw gwError('GW_ERR_NOT_FOUND', 'No MCP server has that name.');
    if (s.proc === undefined || s.status !== 'running') throw gwError('GW_ERR_BACKEND_UNAVAILABLE', 'The MCP server is not running; pin it once it is back.');
    const listed = await s.proc.listTools(this.#o.startTimeoutMs ?? 30_000);
    const chosen = listed.filter((d) => only === undefined || only.includes(d.name) || only.includes(`${name}.${d.name}`));
    const pins: Pin[] = chosen.map((d) => ({ tool: d.name, sha256: definitionSha256(d), definition: d }));
    await auditThen(this.#o.events, {
      plan: () => pins,
      event: (p): GatewayEvent => ({
        type: 'mcp_server.pin', actor, outcome: 'ok', requestId,
        data: { server: name, pinned: p.map((x) => ({ tool: x.tool, sha256: x.sha256, flags: [...scanDescription(x.definition.description)] })) },
      }),
      apply: (p) => this.#o.store.pin(name, p, actor, this.#o.now()),
    });
    await this.#apply(s, listed);
    return this.view(name)!;
  }

  async remove(name: string, actor: string, requestId: string): Promise<void> {
    if (this.#o.store.get(name) === undefined) throw gwError('GW_ERR_NOT_FOUND', 'No MCP server has that name.');
    await auditThen(this.#o.events, {
      plan: () => name,
      event: (n): GatewayEvent => ({ type: 'mcp_server.delete', actor, outcome: 'ok', requestId, data: { server: n } }),
      apply: (n) => this.#o.store.delete(n),
    });
    const s = this.#servers.get(name);
    this.#servers.delete(name);
    if (s !== undefined) await this.#stop(s);
  }
}

