/**
 * Where an upstream MCP server's code comes from: an npm package ALREADY installed under one of
 * the configured roots (the gateway's own node_modules, or PALISADE_MCP_SERVERS_DIR), at exactly
 * the version the admin pinned. Palisade never downloads anything at runtime.
 *
 * The closure is every package directory Node's own resolution reaches from the package's
 * dependencies (dependencies, optional and peer dependencies, walked transitively), each found
 * the way Node finds it (the nearest `node_modules/<name>` walking up from the requiring
 * package's real directory). The container gets exactly these directories, read-only, at the
 * same relative paths under /srv (as one bind of a verified copy, package-copy.ts), so
 * resolution inside is the resolution outside.
 */
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';

export const PACKAGE_NAME_PATTERN = /^(?:@[a-z0-9][a-z0-9._-]{0,100}\/)?[a-z0-9][a-z0-9._-]{0,100}$/;
const VERSION_PATTERN = /^\d{1,9}\.\d{1,9}\.\d{1,9}(?:-[0-9A-Za-z.-]{1,64})?$/;
/** a closure larger than this is refused (a package that pulls half the registry) */
export const MAX_CLOSURE_PACKAGES = 400;

export interface PackageClosure {
  /** the package's real directory on the host */
  readonly root: string;
  /** the entry file (its bin, else `main`), absolute on the host, inside `root` */
  readonly entry: string;
  /** every directory to mount, real paths, none nested in another, sorted */
  readonly dirs: readonly string[];
}

export type ClosureResult =
  | { readonly ok: true; readonly closure: PackageClosure }
  | { readonly ok: false; readonly code: 'GW_ERR_UPSTREAM_PACKAGE'; readonly reason: string };

interface PackageJson {
  readonly name?: unknown;
  readonly version?: unknown;
  readonly bin?: unknown;
  readonly main?: unknown;
  readonly dependencies?: unknown;
  readonly optionalDependencies?: unknown;
  readonly peerDependencies?: unknown;
}

function readPackageJson(dir: string): PackageJson | undefined {
  try {
    const parsed: unknown = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed as PackageJson : undefined;
  } catch {
    return undefined;
  }
}

function depNames(pkg: PackageJson): { required: string[]; optional: string[] } {
  const names = (v: unknown): string[] => (v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.keys(v) : []);
  const required = names(pkg.dependencies);
  const optional = [...names(pkg.optionalDependencies), ...names(pkg.peerDependencies)].filter((n) => !required.includes(n));
  return { required, optional };
}

/** Node's lookup: the nearest node_modules/<name> walking up from `fromDir`. */
function findDependency(fromDir: string, name: string): string | undefined {
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (existsSync(path.join(candidate, 'package.json'))) return realpathSync(candidate);
    if (path.dirname(dir) === dir) return undefined;
  }
}

function entryOf(root: string, pkg: PackageJson): string | undefined {
  const bin = typeof pkg.bin === 'string' ? pkg.bin
    : pkg.bin !== null && typeof pkg.bin === 'object' ? Object.values(pkg.bin as Record<string, unknown>).find((v) => typeof v === 'string') as string | undefined
      : undefined;
  const rel = bin ?? (typeof pkg.main === 'string' ? pkg.main : undefined);
  if (rel === undefined) return undefined;
  const abs = path.resolve(root, rel);
  if (!existsSync(abs)) return undefined;
  const real = realpathSync(abs);
  return real.startsWith(root + path.sep) ? real : undefined;
}

/** Finds `name@version` under the roots and walks its dependency closure. */
export function resolvePackage(roots: readonly string[], name: string, version: string): ClosureResult {
  const fail = (reason: string): ClosureResult => ({ ok: false, code: 'GW_ERR_UPSTREAM_PACKAGE', reason });
  if (!PACKAGE_NAME_PATTERN.test(name)) return fail('package must be an npm package name');
  if (!VERSION_PATTERN.test(version)) return fail('version must be an exact version (1.2.3), not a range');
  let root: string | undefined;
  for (const base of roots) {
    const candidate = path.join(base, name);
    if (existsSync(path.join(candidate, 'package.json')) && statSync(candidate).isDirectory()) {
      root = realpathSync(candidate);
      break;
    }
  }
  if (root === undefined) return fail(`package ${name} is not installed in any configured directory (Palisade never downloads it)`);
  const pkg = readPackageJson(root);
  if (pkg === undefined || pkg.name !== name) return fail(`package ${name}: unreadable package.json or another name inside`);
  if (pkg.version !== version) return fail(`package ${name} is installed at ${String(pkg.version)}, not at the pinned ${version}`);
  const entry = entryOf(root, pkg);
  if (entry === undefined) return fail(`package ${name} has no bin or main file inside its folder`);

  const seen = new Set<string>([root]);
  const queue: string[] = [root];
  for (let dir = queue.shift(); dir !== undefined; dir = queue.shift()) {
    const p = dir === root ? pkg : readPackageJson(dir);
    if (p === undefined) continue;
    const { required, optional } = depNames(p);
    for (const [dep, needed] of [...required.map((n) => [n, true] as const), ...optional.map((n) => [n, false] as const)]) {
      const found = findDependency(dir, dep);
      if (found === undefined) {
        if (needed) return fail(`package ${name}: dependency ${dep} (of ${path.basename(dir)}) is not installed`);
        continue;
      }
      if (seen.has(found)) continue;
      seen.add(found);
      if (seen.size > MAX_CLOSURE_PACKAGES) return fail(`package ${name} needs more than ${MAX_CLOSURE_PACKAGES} packages`);
      queue.push(found);
    }
  }
  const sorted = [...seen].sort();
  const dirs = sorted.filter((d) => !sorted.some((o) => o !== d && d.startsWith(o + path.sep)));
  return { ok: true, closure: Object.freeze({ root, entry, dirs: Object.freeze(dirs) }) };
}

/** The container path a host directory is mounted at (the same relative path under /srv). */
export function inContainer(hostPath: string): string {
  return path.posix.join('/srv', ...hostPath.split(path.sep).filter((s) => s !== ''));
}
