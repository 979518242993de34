/**
 * The container side of network "egress-allowlist" for an upstream MCP server (issue 16 item 2).
 * The container's network stays "none" (loopback only). Its one way out is the gateway's egress
 * tunnel (providers/egress/tunnel.ts), a unix socket in a folder of its own bind-mounted
 * READ-ONLY at EGRESS_DIR_IN_CONTAINER. Node cannot use a unix socket as a proxy, so a preload
 * (egress-relay.mjs, bound read-only, loaded with `--import`) listens on 127.0.0.1:RELAY_PORT and
 * relays each connection to the socket; the server's own Node sends its fetch / https traffic
 * there as CONNECT requests (HTTPS_PROXY/HTTP_PROXY, NODE_USE_ENV_PROXY=1: Node 24's built-in
 * proxy support; NO_PROXY empty). Plain `http.request` through a proxy is an absolute-form GET,
 * which the tunnel refuses: http origins are reachable with fetch only.
 *
 * Pure decisions here: the seccomp variant, the OCI runtime name, the env, the binds.
 */
import { fileURLToPath } from 'node:url';
import { loadSeccompProfile } from './container-config.ts';
import { RUNSC_REQUIRED_ARGS, type DockerRuntime, type RegisteredRuntimes } from './runtime.ts';

export const EGRESS_DIR_IN_CONTAINER = '/run/palisade-egress';
export const EGRESS_SOCKET_NAME = 'proxy.sock';
/** keep in sync with RELAY_PORT in egress-relay.mjs */
export const EGRESS_RELAY_PORT = 3128;
export const EGRESS_RELAY_IN_CONTAINER = '/run/palisade-egress-relay.mjs';
export const EGRESS_RELAY_HOST_PATH = fileURLToPath(new URL('./egress-relay.mjs', import.meta.url));

/** the gVisor runtime egress servers use under runsc: runsc's arguments plus --host-uds=open */
export const RUNSC_EGRESS_RUNTIME = 'runsc-egress';
export const RUNSC_EGRESS_ARGS: readonly string[] = Object.freeze([...RUNSC_REQUIRED_ARGS, '--host-uds=open']);

const AF_UNIX = 1;
const AF_INET = 2;
const AF_INET6 = 10;

/**
 * The OCI runtime (HostConfig.Runtime) of an egress server. runc: runc (a bind-mounted unix
 * socket needs nothing more). runsc: RUNSC_EGRESS_RUNTIME, which must be registered with
 * RUNSC_EGRESS_ARGS (scripts/ensure-docker.sh); missing, the server is refused, never run under
 * runc instead, and --host-uds is never added to the main runsc.
 */
export function egressRuntime(runtime: DockerRuntime, registered: RegisteredRuntimes): { ok: true; name: string } | { ok: false; reason: string } {
  if (runtime === 'runc') return { ok: true, name: 'runc' };
  const args = Object.hasOwn(registered, RUNSC_EGRESS_RUNTIME) ? registered[RUNSC_EGRESS_RUNTIME] : undefined;
  if (args === undefined) {
    return { ok: false, reason: `network "egress-allowlist" under runsc needs the Docker runtime ${RUNSC_EGRESS_RUNTIME}, which the daemon does not register (run scripts/ensure-docker.sh)` };
  }
  const missing = RUNSC_EGRESS_ARGS.filter((a) => !args.includes(a));
  if (missing.length > 0) return { ok: false, reason: `the daemon registers ${RUNSC_EGRESS_RUNTIME} without ${missing.join(' ')} (run scripts/ensure-docker.sh)` };
  return { ok: true, name: RUNSC_EGRESS_RUNTIME };
}

interface SeccompRule {
  names: string[];
  action: string;
  args?: Array<{ index: number; value: number; valueTwo: number; op: string }>;
  comment?: string;
}

/**
 * The worker profile (loadSeccompProfile, in the form `runtime` needs) with one change, for
 * egress servers only: `socket` may also create AF_INET / AF_INET6 sockets, because the relay
 * must listen on the container's loopback and the server's Node must connect to it. With network
 * "none" the loopback is the only interface, so this opens nothing beyond the container itself
 * (test/integration/upstream-egress.test.ts connects out and fails). socketpair stays AF_UNIX only;
 * workers and network-"none" servers keep the strict profile.
 */
export function egressSeccompProfile(runtime: DockerRuntime): string {
  const profile = JSON.parse(loadSeccompProfile(runtime)) as { syscalls: SeccompRule[] };
  const unixOnly = profile.syscalls.findIndex((r) => r.names.includes('socket') && r.action === 'SCMP_ACT_ALLOW'
    && r.args?.length === 1 && r.args[0]!.index === 0 && r.args[0]!.value === AF_UNIX && r.args[0]!.op === 'SCMP_CMP_EQ');
  if (unixOnly === -1) throw new Error('the worker seccomp profile has no AF_UNIX-only socket rule to widen');
  const domain = (value: number, comment: string): SeccompRule => ({
    names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value, valueTwo: 0, op: 'SCMP_CMP_EQ' }], comment,
  });
  profile.syscalls.splice(unixOnly + 1, 0,
    domain(AF_INET, 'egress servers only: the relay listens on the loopback of a network-none container'),
    domain(AF_INET6, 'egress servers only: as AF_INET (loopback only under network none)'));
  return JSON.stringify(profile);
}

/** the proxy env: Node's own proxy support pointed at the relay, no exceptions */
export function egressEnv(): string[] {
  const proxy = `http://127.0.0.1:${EGRESS_RELAY_PORT}`;
  return [`HTTPS_PROXY=${proxy}`, `HTTP_PROXY=${proxy}`, 'NO_PROXY=', 'NODE_USE_ENV_PROXY=1'];
}

/**
 * The Node flags before the entry file: the relay preloaded, and `--liftoff-only`. Node's fetch
 * parses HTTP with undici's llhttp WebAssembly module; after a few requests V8 tiers it up with
 * TurboFan, a burst of about 20 MiB. Under runsc the sandbox's cgroup already holds about 48 MiB
 * of the default 64 MiB (the Sentry's own memory counts), so the burst OOM-killed the server
 * (exit 137 on the 3rd-4th fetch; cgroup peak 71 MiB at a 128 MiB limit). With Liftoff only (the
 * baseline WebAssembly compiler, no tier-up) the peak stayed at 50 MiB over 22 fetches under runsc
 * and at 33 MiB under runc (46 MiB without), measured 2026-12-03. Only egress servers can fetch,
 * so only they get it.
 */
export function egressNodeFlags(): string[] {
  return ['--liftoff-only', '--import', EGRESS_RELAY_IN_CONTAINER];
}

/** the tunnel socket's folder and the relay, both read-only */
export function egressBinds(socketDir: string): Array<{ hostPath: string; containerPath: string; readOnly: true }> {
  return [
    { hostPath: socketDir, containerPath: EGRESS_DIR_IN_CONTAINER, readOnly: true },
    { hostPath: EGRESS_RELAY_HOST_PATH, containerPath: EGRESS_RELAY_IN_CONTAINER, readOnly: true },
  ];
}
