/**
 * Upstream MCP servers (issue 16): the one object gateway.ts and the admin routes hold. It joins
 * the parts, each its own module — the running servers and their restarts (supervisor.ts), pins
 * reconciled into registry entries with alerts (apply-listing.ts), the registry and dispatcher the
 * gateway sees (exposure.ts), the admin's view (view.ts) — and makes the admin changes here:
 * register, pin, remove, each audit-or-refuse (auditThen: a failing audit sink refuses the change
 * and nothing is stored; a container started for it is stopped). Servers declared in the servers
 * file (declared.ts) are applied at start (provision.ts).
 */
import type { JsonValue } from '../../sandbox/json.ts';
import { gwError } from '../errors.ts';
import { auditThen, type GatewayEvent } from '../events.ts';
import type { ToolDispatcher } from '../tools/dispatch.ts';
import type { ToolRegistry } from '../tools/registry.ts';
import { upstreamDispatcher, upstreamRegistry } from './exposure.ts';
import { definitionSha256, type Pin } from './pin.ts';
import type { DeclaredServer } from './declared.ts';
import { checkOverrides, overridesJson, type OverridesBody } from './overrides.ts';
import { sweepPackageCopies } from './package-copy.ts';
import { CONFIG_ACTOR, registerDeclared, updateDeclared } from './provision.ts';
import { checkServerName, planServer, type RegisterBody } from './register.ts';
import { scanDescription } from './scan.ts';
import type { ServerRecord } from './store.ts';
import type { Booted, UpstreamOptions } from './running.ts';
import { UpstreamSupervisor } from './supervisor.ts';
import { serverView } from './view.ts';

export type { UpstreamOptions } from './running.ts';
export type { ToolView } from './view.ts';

export class UpstreamService {
  readonly #o: UpstreamOptions;
  readonly #sup: UpstreamSupervisor;
  readonly #inflight = new Set<AbortController>();
  readonly #declared: readonly DeclaredServer[];
  readonly #closing = new AbortController();

  /** `declared`: the servers file, already checked (declared.ts) */
  constructor(options: UpstreamOptions, declared: readonly DeclaredServer[] = []) {
    this.#o = options;
    this.#sup = new UpstreamSupervisor(options);
    this.#declared = declared;
  }

  /** The one registry: built-ins first (an upstream tool can never shadow one), then upstream tools. */
  registry(base: ToolRegistry): ToolRegistry {
    return upstreamRegistry(base, this.#sup.servers);
  }

  /** The one dispatcher, with upstream tools sent to their server's container. */
  dispatcher(base: ToolDispatcher): ToolDispatcher {
    return upstreamDispatcher(base, this.#sup.servers, this.#o.limits, this.#inflight);
  }

  /**
   * Gateway start: the servers file applied to what is stored, then every stored server started
   * and every declared one not stored yet registered. Failures are logged and retried with backoff.
   */
  async startAll(): Promise<void> {
    await updateDeclared(this.#declared, this.#o);
    const register = (d: DeclaredServer): Promise<unknown> => this.register(d.body, CONFIG_ACTOR, `config:${d.body.name}`);
    await Promise.all([this.#sup.startAll(), registerDeclared(this.#declared, this.#o, register, this.#closing.signal)]);
    // old package copies go once every server of the start round runs: a server still retrying
    // (Docker down, say) has not asked for its copy yet, and would have to copy it again
    if ([...this.#sup.servers.values()].every((s) => s.status === 'running')) {
      const removed = await sweepPackageCopies(this.#o.dataDir).catch(() => []);
      if (removed.length > 0) this.#o.logger.info('upstream package copies no server uses were removed', { count: removed.length });
    }
  }

  close(): Promise<void> {
    this.#closing.abort();
    return this.#sup.close();
  }

  /** tools/list now and reconcile; the server's current state */
  refresh(name: string): Promise<void> {
    return this.#sup.refresh(name);
  }

  view(name: string): Record<string, JsonValue> | undefined {
    const s = this.#sup.servers.get(name);
    const record = s?.record ?? this.#o.store.get(name);
    return record === undefined ? undefined : serverView(record, s, { pins: this.#o.store.pins(name), overrides: this.#o.store.overrides(name) });
  }

  list(): Record<string, JsonValue>[] {
    return this.#o.store.list().map((r) => this.view(r.name)).filter((v): v is Record<string, JsonValue> => v !== undefined);
  }

  // ---- admin changes (audit-or-refuse) ------------------------------------------------------

  async register(body: RegisterBody, actor: string, requestId: string): Promise<Record<string, JsonValue>> {
    const name = checkServerName(body.name, this.#o.builtinNames);
    if (!name.ok) throw gwError(name.code, name.reason);
    if (this.#sup.servers.has(body.name) || this.#o.store.get(body.name) !== undefined) throw gwError('GW_ERR_CONFLICT', 'An MCP server with that name exists.');
    const plan = planServer(body, this.#o); // every check that needs no container, before one starts
    if (!plan.ok) throw gwError(plan.code, plan.reason);
    const env = plan.value.env;
    const record: ServerRecord = { ...plan.value.record, createdBy: actor, createdAt: this.#o.now() };
    const s = this.#sup.entry(record);
    let booted: Booted;
    try {
      booted = await this.#sup.boot(record, env, s);
    } catch (error) {
      this.#sup.servers.delete(body.name);
      await this.#sup.releaseTunnel(body.name);
      this.#o.logger.warn('upstream MCP server did not start at registration', { server: body.name, error: String(error).slice(0, 300) });
      throw error instanceof Error && 'code' in error && typeof (error as { code: unknown }).code === 'string' && String((error as { code: string }).code).startsWith('GW_ERR_')
        ? error : gwError('GW_ERR_UPSTREAM_START', 'The MCP server did not start or did not answer tools/list within the start timeout.');
    }
    // first registration pins every tool the server listed (the admin sees the scan flags)
    const pins: Pin[] = booted.listed.map((d) => ({ tool: d.name, sha256: definitionSha256(d), definition: d }));
    try {
      const overrides = checkOverrides(body.overrides, record.name, booted.listed.map((d) => d.name));
      if (!overrides.ok) throw gwError(overrides.code, overrides.reason);
      await auditThen(this.#o.events, {
        plan: () => pins,
        event: (p): GatewayEvent => ({
          type: 'mcp_server.register', actor, outcome: 'ok', requestId,
          data: {
            server: record.name, package: record.package, version: record.version, env: [...record.envNames],
            mounts: record.mounts.map((m) => ({ ...m })), network: record.network, pinned: p.map((x) => ({ tool: x.tool, sha256: x.sha256 })),
            overrides: overridesJson(overrides.value),
          },
        }),
        apply: (p) => this.#o.store.insert(record, env, p, this.#o.now(), overrides.value),
      });
    } catch (error) {
      this.#sup.servers.delete(body.name);
      await booted.proc.stop();
      await this.#sup.releaseTunnel(body.name);
      throw error;
    }
    if (this.#closing.signal.aborted) {
      await booted.proc.stop(); // the gateway stopped meanwhile: stored, it starts with the next one
      await this.#sup.releaseTunnel(body.name);
      return this.view(record.name)!;
    }
    await this.#sup.adopt(s, booted);
    return this.view(record.name)!;
  }

  /**
   * Pins the current definitions of `only` (every listed tool when absent) and sets `overridesBody`.
   * Overrides without `tools` are refused: an admin changing a risk must not re-pin (and so accept)
   * a changed definition by accident; `tools: []` changes the overrides only.
   */
  async pin(name: string, only: readonly string[] | undefined, actor: string, requestId: string, overridesBody?: OverridesBody): Promise<Record<string, JsonValue>> {
    const s = this.#sup.servers.get(name);
    if (s === undefined) throw gwError('GW_ERR_NOT_FOUND', 'No MCP server has that name.');
    if (overridesBody !== undefined && only === undefined) {
      throw gwError('GW_ERR_VALIDATION', 'With overrides, name the tools to (re-)pin in "tools" ([] to change the overrides only).');
    }
    if (s.proc === undefined || s.status !== 'running') throw gwError('GW_ERR_BACKEND_UNAVAILABLE', 'The MCP server is not running; pin it once it is back.');
    const listed = await s.proc.listTools(this.#sup.startTimeoutMs);
    const chosen = listed.filter((d) => only === undefined || only.includes(d.name) || only.includes(`${name}.${d.name}`));
    const pins: Pin[] = chosen.map((d) => ({ tool: d.name, sha256: definitionSha256(d), definition: d }));
    const overrides = checkOverrides(overridesBody, name, listed.map((d) => d.name));
    if (!overrides.ok) throw gwError(overrides.code, overrides.reason);
    await auditThen(this.#o.events, {
      plan: () => pins,
      event: (p): GatewayEvent => ({
        type: 'mcp_server.pin', actor, outcome: 'ok', requestId,
        data: {
          server: name, pinned: p.map((x) => ({ tool: x.tool, sha256: x.sha256, flags: [...scanDescription(x.definition.description)] })),
          ...(overridesBody === undefined ? {} : { overrides: overridesJson(overrides.value) }),
        },
      }),
      apply: (p) => this.#o.store.pin(name, p, actor, this.#o.now(), overrides.value),
    });
    await this.#sup.apply(s, listed);
    return this.view(name)!;
  }

  async remove(name: string, actor: string, requestId: string): Promise<void> {
    if (this.#o.store.get(name) === undefined) throw gwError('GW_ERR_NOT_FOUND', 'No MCP server has that name.');
    await auditThen(this.#o.events, {
      plan: () => name,
      event: (n): GatewayEvent => ({ type: 'mcp_server.delete', actor, outcome: 'ok', requestId, data: { server: n } }),
      apply: (n) => this.#o.store.delete(n),
    });
    const s = this.#sup.servers.get(name);
    this.#sup.servers.delete(name);
    if (s !== undefined) await this.#sup.stop(s);
  }
}
