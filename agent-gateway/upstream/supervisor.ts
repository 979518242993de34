/**
 * The running upstream MCP servers (issue 16): one entry per server, its container process and
 * its reconciled tools. Starts a server (package closure → its verified one-folder copy →
 * hardened container spec under PALISADE_DOCKER_RUNTIME → MCP handshake → first tools/list), stops it, and restarts a crashed one with exponential backoff
 * (250 ms doubling to 30 s, reset after a minute up), reporting each crash (alert
 * `upstream.crashed`, audit `mcp_server.crashed`). Every listing it gets (at start, on the
 * server's list_changed notification, on refresh) goes through applyListing (apply-listing.ts).
 * A network "egress-allowlist" server gets its egress tunnel (egress.ts) at its first start; the
 * tunnel outlives its container's restarts and is closed (socket removed) when the server stops.
 */
import type Docker from 'dockerode';
import { ensureWorkerImage } from '../../sandbox/docker/image.ts';
import { mcpContainerSpec, mcpRuntime, type McpBind } from '../../sandbox/docker/mcp-container.ts';
import { egressRuntime } from '../../sandbox/docker/mcp-egress.ts';
import { daemonRuntimes, type DockerRuntime } from '../../sandbox/docker/runtime.ts';
import { gwError } from '../errors.ts';
import type { GatewayEvent } from '../events.ts';
import { applyListing } from './apply-listing.ts';
import { openServerTunnel, type ServerTunnel } from './egress.ts';
import { inContainer, resolvePackage } from './package-closure.ts';
import { packageCopy } from './package-copy.ts';
import type { UpstreamToolDefinition } from './pin.ts';
import { UpstreamProcess } from './process.ts';
import type { ServerRecord } from './store.ts';
import type { Booted, Running, UpstreamOptions } from './running.ts';

const BACKOFF_MIN_MS = 250;
const BACKOFF_MAX_MS = 30_000;

export class UpstreamSupervisor {
  readonly #o: UpstreamOptions;
  readonly servers = new Map<string, Running>();
  #image: Promise<string> | undefined;
  #runtime: Promise<DockerRuntime> | undefined;
  /** server name → its egress tunnel (network "egress-allowlist" only) */
  readonly #tunnels = new Map<string, Promise<ServerTunnel>>();
  #closed = false;

  constructor(options: UpstreamOptions) {
    this.#o = options;
  }

  get startTimeoutMs(): number {
    return this.#o.startTimeoutMs ?? 30_000;
  }

  /** Starts every stored server (gateway start). Failures are logged and retried with backoff. */
  async startAll(): Promise<void> {
    await Promise.all(this.#o.store.list().map(async (record) => {
      const s = this.entry(record);
      await this.#launch(s).catch((error: unknown) => {
        this.#o.logger.warn('upstream MCP server did not start; retrying', { server: record.name, error: String(error).slice(0, 300) });
        this.#scheduleRestart(s);
      });
    }));
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.servers.values()].map((s) => this.stop(s)));
    await Promise.all([...this.#tunnels.keys()].map((name) => this.releaseTunnel(name)));
  }

  /** Closes a server's egress tunnel and removes its socket (stopped, deleted, or its registration failed). */
  async releaseTunnel(name: string): Promise<void> {
    const t = this.#tunnels.get(name);
    if (t === undefined) return;
    this.#tunnels.delete(name);
    await t.then((x) => x.close(), () => undefined);
  }

  #tunnel(name: string): Promise<ServerTunnel> {
    let t = this.#tunnels.get(name);
    if (t === undefined) {
      const policy = this.#o.egress?.();
      if (policy === undefined) return Promise.reject(gwError('GW_ERR_UPSTREAM_START', 'network "egress-allowlist" needs the gateway\'s egress client, which this gateway was not given'));
      t = openServerTunnel({ dataDir: this.#o.dataDir, server: name, policy, events: this.#o.events, logger: this.#o.logger });
      this.#tunnels.set(name, t);
      t.catch(() => { if (this.#tunnels.get(name) === t) this.#tunnels.delete(name); });
    }
    return t;
  }

  entry(record: ServerRecord): Running {
    const s: Running = {
      record, proc: undefined, status: 'starting', states: [], tools: new Map(), problems: new Map(),
      attempt: 0, upSince: 0, timer: undefined, restarts: 0,
    };
    this.servers.set(record.name, s);
    return s;
  }

  async stop(s: Running): Promise<void> {
    s.status = 'stopped';
    if (s.timer !== undefined) clearTimeout(s.timer);
    s.timer = undefined;
    const proc = s.proc;
    s.proc = undefined;
    await proc?.stop();
    await this.releaseTunnel(s.record.name);
  }

  /** A booted process becomes the server's; its listing is reconciled. */
  async adopt(s: Running, booted: Booted): Promise<void> {
    s.proc = booted.proc;
    s.status = 'running';
    s.upSince = this.#o.now();
    await this.apply(s, booted.listed);
  }

  apply(s: Running, listed: readonly UpstreamToolDefinition[]): Promise<void> {
    return applyListing(s, listed, this.#o);
  }

  /** tools/list now and reconcile; the server's current state */
  async refresh(name: string): Promise<void> {
    const s = this.servers.get(name);
    if (s === undefined || s.proc === undefined || s.status !== 'running') return;
    await this.apply(s, await s.proc.listTools(this.startTimeoutMs));
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

  /** PALISADE_DOCKER_RUNTIME against the daemon, the workers' rule (runtime.ts chooseRuntime); retried after a failure */
  #runtimeOf(): Promise<DockerRuntime> {
    this.#runtime ??= mcpRuntime(this.#o.docker(), this.#o.runtime).then((r) => {
      if (!r.ok) {
        this.#runtime = undefined;
        throw gwError('GW_ERR_UPSTREAM_START', `Docker runtime: ${r.reason}`);
      }
      this.#o.logger.info('upstream MCP servers run under this Docker runtime', { runtime: r.runtime, reason: r.reason });
      return r.runtime;
    });
    return this.#runtime;
  }

  async #spec(record: ServerRecord, env: Readonly<Record<string, string>>): Promise<Docker.ContainerCreateOptions> {
    const runtime = await this.#runtimeOf(); // first: an unusable runsc is named before any copy or image work
    let runtimeName: string | undefined;
    if (record.network === 'egress-allowlist') {
      const registered = await daemonRuntimes(this.#o.docker()).catch(() => ({}));
      const chosen = egressRuntime(runtime, registered);
      if (!chosen.ok) throw gwError('GW_ERR_UPSTREAM_START', `Docker runtime: ${chosen.reason}`);
      runtimeName = chosen.name;
    }
    const closure = resolvePackage(this.#o.roots, record.package, record.version);
    if (!closure.ok) throw gwError(closure.code, closure.reason);
    // one read-only bind of a verified copy of the closure, not one per package (package-copy.ts)
    const copy = await packageCopy(this.#o.dataDir, closure.closure);
    if (!copy.ok) throw gwError(copy.code, copy.reason);
    const binds: McpBind[] = [
      { hostPath: copy.copy.dir, containerPath: inContainer('/'), readOnly: true },
      ...record.mounts.map((m) => ({ hostPath: m.host_path, containerPath: m.container_path, readOnly: m.read_only })),
    ];
    const image = await this.#imageTag();
    const egress = runtimeName === undefined ? undefined : { socketDir: (await this.#tunnel(record.name)).socketDir, runtimeName };
    return mcpContainerSpec({
      image, quotas: this.#o.quotas, runtime, instance: this.#o.instance ?? 'upstream',
      server: record.name, entry: inContainer(closure.closure.entry), args: record.args,
      env: Object.entries(env).map(([k, v]) => `${k}=${v}`), binds, ...(egress === undefined ? {} : { egress }),
    });
  }

  /** Starts the container, connects, lists tools; returns the listing (not yet reconciled). */
  async boot(record: ServerRecord, env: Readonly<Record<string, string>>, s: Running | undefined): Promise<Booted> {
    const timeout = this.startTimeoutMs;
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
    const booted = await this.boot(s.record, this.#o.store.env(s.record.name), s);
    if (this.#closed || (s.status as Running['status']) === 'stopped') {
      await booted.proc.stop();
      return;
    }
    await this.adopt(s, booted);
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
}
