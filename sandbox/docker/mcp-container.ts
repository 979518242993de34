/**
 * One upstream MCP server process in its own hardened container (issue 16). The container is the
 * worker's (containerSpec: read-only root, network none, cap-drop ALL, no-new-privileges, uid
 * 65534, the worker seccomp profile, quotas, tmpfs /tmp) with three differences only: the entry
 * point is Node running the server package's entry file, the package and its dependency closure
 * are ONE read-only bind at /srv (a verified copy of exactly the closure's files,
 * agent-gateway/upstream/package-copy.ts; no download), and the admin's listed mounts are added
 * (read-only unless the admin said otherwise). The image is the local worker image (FROM
 * scratch: the pinned Node binary and its libraries).
 *
 * The runtime is the workers' (issue 20): PALISADE_DOCKER_RUNTIME chosen against the daemon's
 * runtimes by the same rule (`mcpRuntime` → runtime.ts chooseRuntime: runsc configured but not
 * usable is refused, never runc instead), and the seccomp profile in the form that runtime
 * needs (the runc form under gVisor would refuse clone3 with EPERM and Node could not start).
 * One closure bind is what makes the real server-filesystem fit gVisor within the worker quotas:
 * with its 104 packages as 104 binds runsc failed at start ("failed to setupFS: mounting
 * submounts … input/output error", pids 64 → PidsLimit 192, 64 MiB); as one bind it starts at
 * 64 MiB, cgroup use ≈ 42 MiB after start and a read (runc ≈ 26 MiB), measured 2026-12-03.
 *
 * Network: "none" always. A server registered with network "egress-allowlist" (issue 16 item 2)
 * gets `egress` (mcp-egress.ts): the gateway's tunnel socket folder and a relay preload bound
 * read-only, Node's proxy env pointed at the relay, the seccomp variant that lets it open a
 * loopback TCP socket, and under runsc the runsc-egress runtime (gVisor with --host-uds=open).
 *
 * Its stdout is newline-delimited JSON-RPC: hostile bytes. The attach stream is demultiplexed
 * with the capped demuxer, every line is capped at `maxLineBytes` (256 KiB), and a longer line
 * ends the container (`SBX_ERR_FRAME_TOO_LARGE`). Nothing here parses MCP: lines go to `onLine`.
 */
import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import { LIMITS, KIB } from '../limits.ts';
import { containerSpec, loadSeccompProfile, WORKER_ENV, type ContainerSpecInput } from './container-config.ts';
import { DockerDemuxer } from './demux.ts';
import { NODE_PATH_IN_IMAGE } from './image.ts';
import { egressBinds, egressEnv, egressNodeFlags, egressSeccompProfile } from './mcp-egress.ts';
import { chooseRuntime, daemonRuntimes, type DockerRuntime, type DockerRuntimeSetting, type RuntimeChoice } from './runtime.ts';

export const MCP_SERVER_LABEL = 'palisade.mcp-server';

export interface McpBind {
  readonly hostPath: string;
  readonly containerPath: string;
  readonly readOnly: boolean;
}

export interface McpContainerInput extends Omit<ContainerSpecInput, 'layer' | 'seccomp' | 'runtime'> {
  /** from `mcpRuntime`; the seccomp profile follows it */
  readonly runtime: DockerRuntime;
  readonly server: string;
  /** the entry file's path inside the container */
  readonly entry: string;
  readonly args: readonly string[];
  /** `NAME=value` entries (already checked), added after the worker's fixed entry */
  readonly env: readonly string[];
  /** the package closure's one bind (always read-only) and the admin's mounts */
  readonly binds: readonly McpBind[];
  /** network "egress-allowlist": the tunnel socket's host folder and the OCI runtime name (mcp-egress.ts egressRuntime) */
  readonly egress?: { readonly socketDir: string; readonly runtimeName: string };
}

/** The runtime upstream server containers get: the workers' setting against the daemon's runtimes. */
export async function mcpRuntime(docker: Docker, setting: DockerRuntimeSetting): Promise<RuntimeChoice> {
  const registered = await daemonRuntimes(docker).catch(() => undefined);
  if (registered === undefined) return { ok: false, code: 'SBX_ERR_UNAVAILABLE', reason: 'Docker daemon did not list its runtimes' };
  return chooseRuntime(setting, registered);
}

/** Pure (but for reading the profile file): the dockerode create options for one upstream server container. */
export function mcpContainerSpec(input: McpContainerInput): Docker.ContainerCreateOptions {
  const egress = input.egress;
  const seccomp = egress === undefined ? loadSeccompProfile(input.runtime) : egressSeccompProfile(input.runtime);
  const base = containerSpec({ ...input, seccomp });
  const binds: readonly McpBind[] = [...input.binds, ...(egress === undefined ? [] : egressBinds(egress.socketDir))];
  return {
    ...base,
    Entrypoint: [NODE_PATH_IN_IMAGE, '--disable-proto=delete', ...(egress === undefined ? [] : egressNodeFlags()), input.entry, ...input.args],
    Cmd: [],
    Env: [...WORKER_ENV, ...input.env, ...(egress === undefined ? [] : egressEnv())],
    Labels: { ...base.Labels, [MCP_SERVER_LABEL]: input.server },
    Hostname: 'mcp',
    HostConfig: {
      ...base.HostConfig,
      ...(egress === undefined ? {} : { Runtime: egress.runtimeName }),
      Binds: binds.map((b) => `${b.hostPath}:${b.containerPath}:${b.readOnly ? 'ro' : 'rw'}`),
    },
  };
}

export interface McpContainerEvents {
  readonly onLine: (line: string) => void;
  /** once: the container ended (exit, kill, protocol violation); `reason` for the operator */
  readonly onExit: (reason: string) => void;
}

export class McpContainer {
  readonly #container: Docker.Container;
  readonly #demux = new DockerDemuxer({ maxChunkBytes: LIMITS.frameBytes + 64 * KIB, maxStderrBytes: 8 * KIB });
  readonly #maxLine: number;
  readonly #events: McpContainerEvents;
  #stream: Duplex | undefined;
  #partial: Buffer[] = [];
  #partialBytes = 0;
  #dead = false;
  #removed: Promise<void> | undefined;

  private constructor(container: Docker.Container, maxLine: number, events: McpContainerEvents) {
    this.#container = container;
    this.#maxLine = maxLine;
    this.#events = events;
  }

  get id(): string {
    return this.#container.id;
  }

  get dead(): boolean {
    return this.#dead;
  }

  /** what the server wrote on stderr (first 8 KiB), for a crash report */
  get stderr(): string {
    return this.#demux.stderr;
  }

  static async start(docker: Docker, spec: Docker.ContainerCreateOptions, events: McpContainerEvents, maxLineBytes = LIMITS.frameBytes): Promise<McpContainer> {
    const container = await docker.createContainer(spec);
    const c = new McpContainer(container, maxLineBytes, events);
    try {
      const stream = (await container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true })) as Duplex;
      c.#stream = stream;
      stream.on('data', (chunk: Buffer) => c.#onData(chunk));
      stream.on('error', () => c.#end('stdio stream error'));
      stream.on('close', () => c.#end('the server exited'));
      stream.on('end', () => c.#end('the server exited'));
      await container.start();
      return c;
    } catch (error) {
      await c.destroy();
      throw error;
    }
  }

  /** Writes one line (a serialized JSON-RPC message) to the server's stdin; false if it is gone or too large. */
  send(line: string): boolean {
    if (this.#dead || this.#stream === undefined || line.includes('\n')) return false;
    if (Buffer.byteLength(line, 'utf8') > this.#maxLine) return false;
    this.#stream.write(`${line}\n`);
    return true;
  }

  #onData(chunk: Buffer): void {
    if (this.#dead) return;
    for (const event of this.#demux.push(chunk)) {
      if (event.kind === 'error') {
        this.#kill(`${event.code}: ${event.reason}`);
        return;
      }
      this.#onStdout(event.data);
      if (this.#dead) return;
    }
  }

  #onStdout(data: Buffer): void {
    let start = 0;
    for (let nl = data.indexOf(10, start); nl !== -1; nl = data.indexOf(10, start)) {
      const piece = data.subarray(start, nl);
      start = nl + 1;
      if (this.#partialBytes + piece.length > this.#maxLine) {
        this.#kill(`SBX_ERR_FRAME_TOO_LARGE: a message line over ${this.#maxLine} bytes`);
        return;
      }
      const line = Buffer.concat([...this.#partial, piece]).toString('utf8');
      this.#partial = [];
      this.#partialBytes = 0;
      if (line.trim() !== '') this.#events.onLine(line);
      if (this.#dead) return;
    }
    const rest = data.subarray(start);
    if (this.#partialBytes + rest.length > this.#maxLine) {
      this.#kill(`SBX_ERR_FRAME_TOO_LARGE: a message line over ${this.#maxLine} bytes`);
      return;
    }
    if (rest.length > 0) {
      this.#partial.push(Buffer.from(rest));
      this.#partialBytes += rest.length;
    }
  }

  #end(reason: string): void {
    if (this.#dead) return;
    this.#dead = true;
    this.#events.onExit(reason);
    void this.destroy();
  }

  #kill(reason: string): void {
    this.#end(reason);
  }

  /** Kills and removes the container. Never rejects. */
  destroy(): Promise<void> {
    if (!this.#dead) {
      this.#dead = true;
      this.#events.onExit('stopped by the gateway');
    }
    this.#removed ??= (async () => {
      try {
        this.#stream?.destroy();
      } catch { /* already gone */ }
      await this.#container.remove({ force: true, v: true }).catch(() => undefined);
    })();
    return this.#removed;
  }
}
