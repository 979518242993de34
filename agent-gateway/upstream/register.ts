/**
 * POST /admin/mcp-servers: the body schema (ajv, in the route) and the decisions on what it asks
 * for, each a small pure check returning {ok} | {ok:false, code, reason}:
 *  - name: `[a-z][a-z0-9_-]{0,31}` and not a built-in tool's namespace;
 *  - package@version: installed under a configured root at exactly that version (package-closure.ts);
 *  - env: upper-case names, none that changes how Node or the loader behave, values capped;
 *    values are sealed at rest and never returned or logged; the proxy names (HTTP_PROXY,
 *    HTTPS_PROXY, NO_PROXY, ALL_PROXY) are the gateway's to set (network egress-allowlist);
 *  - mounts: the host path must exist; it is resolved with realpath (the mount is the real
 *    directory, so a symlink cannot point the mount elsewhere later) and may not be `/`, nor
 *    contain or sit inside the data dir; the container path is absolute, normalized and outside
 *    the paths the container itself needs; read-only unless `read_only: false`;
 *  - overrides: the admin's risk / tags / approval per tool, checked in overrides.ts;
 *  - network: `none` (default: no network at all) or `egress-allowlist` (issue 16 item 2: the
 *    container still has network none; its one way out is the gateway's egress tunnel, which
 *    applies the gateway's egress allowlist and SSRF checks to every connection,
 *    providers/egress/tunnel.ts). With an empty allowlist such a server still registers and
 *    every connection it tries is refused (and audited).
 */
import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { checkOverrides, OVERRIDES_SCHEMA, type OverridesBody } from './overrides.ts';
import { resolvePackage } from './package-closure.ts';
import type { Check, ResolvedMount, UpstreamNetwork } from './types.ts';
import type { ServerRecord } from './store.ts';

export const SERVER_NAME_PATTERN = '^[a-z][a-z0-9_-]{0,31}$';
const ENV_NAME = /^[A-Z][A-Z0-9_]{0,63}$/;
const ENV_FORBIDDEN = /^(?:NODE_|LD_|MALLOC_|UV_|PATH$|HOME$|HOSTNAME$|SSL_|OPENSSL_|(?:HTTPS?|NO|ALL)_PROXY$)/;
export const MAX_ENV_VALUE_BYTES = 4096;
const RESERVED_CONTAINER_PATHS = ['/srv', '/app', '/usr', '/lib', '/lib64', '/bin', '/sbin', '/etc', '/proc', '/sys', '/dev', '/tmp', '/run', '/var'];

export interface MountSpec {
  readonly host_path: string;
  readonly container_path: string;
  readonly read_only?: boolean;
}

export interface RegisterBody {
  readonly name: string;
  readonly package: string;
  readonly version: string;
  readonly args?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  readonly mounts?: readonly MountSpec[];
  readonly network?: UpstreamNetwork;
  /** the admin's risk / tags / approval per tool (overrides.ts) */
  readonly overrides?: OverridesBody;
}

export const REGISTER_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'package', 'version'],
  properties: {
    name: { type: 'string', pattern: SERVER_NAME_PATTERN },
    package: { type: 'string', minLength: 1, maxLength: 214 },
    version: { type: 'string', minLength: 1, maxLength: 64 },
    args: { type: 'array', maxItems: 32, items: { type: 'string', maxLength: 1024 } },
    env: { type: 'object', maxProperties: 32, additionalProperties: { type: 'string', maxLength: MAX_ENV_VALUE_BYTES } },
    mounts: {
      type: 'array', maxItems: 16,
      items: {
        type: 'object', additionalProperties: false, required: ['host_path', 'container_path'],
        properties: {
          host_path: { type: 'string', minLength: 1, maxLength: 4096 },
          container_path: { type: 'string', minLength: 2, maxLength: 256 },
          read_only: { type: 'boolean' },
        },
      },
    },
    network: { type: 'string', enum: ['none', 'egress-allowlist'] },
    overrides: OVERRIDES_SCHEMA,
  },
} as const;

export type { Check, ResolvedMount, UpstreamRefusal } from './types.ts';

export interface PlanContext {
  readonly builtinNames: readonly string[];
  readonly dataDir: string;
  /** where packages are looked up (package-closure.ts) */
  readonly roots: readonly string[];
}

/** A registration body checked whole: the record to store (without who and when) and the env values. */
export interface ServerPlan {
  readonly record: Omit<ServerRecord, 'createdBy' | 'createdAt'>;
  readonly env: Readonly<Record<string, string>>;
}

export function checkServerName(name: string, builtinNames: readonly string[]): Check<string> {
  if (!new RegExp(SERVER_NAME_PATTERN).test(name)) return { ok: false, code: 'GW_ERR_VALIDATION', reason: 'name must match [a-z][a-z0-9_-]{0,31}' };
  if (builtinNames.some((t) => t === name || t.startsWith(`${name}.`))) {
    return { ok: false, code: 'GW_ERR_VALIDATION', reason: `"${name}" is the namespace of a built-in tool` };
  }
  return { ok: true, value: name };
}

export function checkNetwork(network: RegisterBody['network']): Check<UpstreamNetwork> {
  if (network === undefined || network === 'none') return { ok: true, value: 'none' };
  if (network === 'egress-allowlist') return { ok: true, value: network };
  return { ok: false, code: 'GW_ERR_VALIDATION', reason: 'network must be "none" or "egress-allowlist"' };
}

export function checkEnv(env: Readonly<Record<string, string>> | undefined): Check<Readonly<Record<string, string>>> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env ?? {})) {
    if (!ENV_NAME.test(k) || ENV_FORBIDDEN.test(k)) return { ok: false, code: 'GW_ERR_VALIDATION', reason: `env name ${JSON.stringify(k.slice(0, 64))} is not allowed` };
    if (typeof v !== 'string' || v.includes('\0') || Buffer.byteLength(v, 'utf8') > MAX_ENV_VALUE_BYTES) {
      return { ok: false, code: 'GW_ERR_VALIDATION', reason: `env ${k}: the value must be a string without NUL, at most ${MAX_ENV_VALUE_BYTES} bytes` };
    }
    out[k] = v;
  }
  return { ok: true, value: out };
}

const within = (child: string, parent: string): boolean => child === parent || child.startsWith(parent.endsWith(path.sep) ? parent : parent + path.sep);

export function checkMounts(mounts: readonly MountSpec[] | undefined, dataDir: string): Check<readonly ResolvedMount[]> {
  const bad = (reason: string): Check<readonly ResolvedMount[]> => ({ ok: false, code: 'GW_ERR_UPSTREAM_MOUNT', reason });
  const out: ResolvedMount[] = [];
  const data = existsSync(dataDir) ? realpathSync(dataDir) : path.resolve(dataDir);
  for (const [i, m] of (mounts ?? []).entries()) {
    if (!path.isAbsolute(m.host_path) || m.host_path.includes('\0')) return bad(`mounts/${i}: host_path must be an absolute path`);
    if (!existsSync(m.host_path)) return bad(`mounts/${i}: host_path does not exist`);
    const real = realpathSync(m.host_path);
    if (real === path.parse(real).root) return bad(`mounts/${i}: the host root cannot be mounted`);
    if (within(real, data) || within(data, real)) return bad(`mounts/${i}: host_path overlaps the gateway's data directory`);
    if (real.includes(':') || real.includes(',')) return bad(`mounts/${i}: host_path may not contain ':' or ','`);
    const cp = m.container_path;
    if (!cp.startsWith('/') || path.posix.normalize(cp) !== cp || cp.endsWith('/') || /[:,\0]/.test(cp)) {
      return bad(`mounts/${i}: container_path must be an absolute, normalized path`);
    }
    if (RESERVED_CONTAINER_PATHS.some((r) => within(cp, r) || within(r, cp))) return bad(`mounts/${i}: container_path ${cp} is reserved`);
    if (out.some((o) => within(cp, o.container_path) || within(o.container_path, cp))) return bad(`mounts/${i}: container_path overlaps another mount`);
    out.push({ host_path: real, container_path: cp, read_only: m.read_only !== false });
  }
  return { ok: true, value: out };
}

/**
 * Every check of a registration that needs no running server, in the order the API answers them
 * (name, network, env, mounts, package, override tags): POST /admin/mcp-servers and the servers
 * file (declared.ts) use the same one.
 */
export function planServer(body: RegisterBody, ctx: PlanContext): Check<ServerPlan> {
  const name = checkServerName(body.name, ctx.builtinNames);
  if (!name.ok) return name;
  const network = checkNetwork(body.network);
  if (!network.ok) return network;
  const env = checkEnv(body.env);
  if (!env.ok) return env;
  const mounts = checkMounts(body.mounts, ctx.dataDir);
  if (!mounts.ok) return mounts;
  const pkg = resolvePackage(ctx.roots, body.package, body.version);
  if (!pkg.ok) return pkg;
  const overrides = checkOverrides(body.overrides, body.name, undefined); // tags and duplicates; tool names once it lists
  if (!overrides.ok) return overrides;
  return {
    ok: true,
    value: {
      record: {
        name: body.name, package: body.package, version: body.version, args: [...(body.args ?? [])], envNames: Object.keys(env.value).sort(),
        mounts: mounts.value, network: network.value,
      },
      env: env.value,
    },
  };
}
