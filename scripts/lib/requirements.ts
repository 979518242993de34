// Builds requirements.lock.json from package-lock.json (lockfileVersion 3).
// Input files are treated as untrusted: shapes are checked and values rebuilt.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export type InstallScriptPolicy = 'none' | 'allowed' | 'denied' | 'unlisted';

export interface LockedPackage {
  readonly path: string;
  readonly name: string;
  readonly version: string;
  readonly integrity: string | null;
  readonly resolved?: string;
  readonly license: string;
  readonly dev: boolean;
  readonly optional: boolean;
  readonly devOptional: boolean;
  readonly hasInstallScript: boolean;
  readonly installScript: InstallScriptPolicy;
}

export interface RequirementsLock {
  readonly format: 'palisade-requirements-lock@1';
  readonly generatedBy: 'scripts/lock.ts';
  readonly source: { readonly file: 'package-lock.json'; readonly sha256: string; readonly lockfileVersion: number };
  readonly node: { readonly pinned: string | null; readonly engines: string | null };
  readonly packages: readonly LockedPackage[];
}

export type Result<T> = { ok: true; value: T } | { ok: false; code: string; message: string };

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Normalises the many historical shapes of package.json license fields to one string. */
export function normaliseLicense(license: unknown, licenses?: unknown): string | undefined {
  if (typeof license === 'string' && license.length > 0) return license;
  if (isObj(license) && typeof license['type'] === 'string') return license['type'];
  const list = Array.isArray(license) ? license : Array.isArray(licenses) ? licenses : undefined;
  if (list) {
    const types = list.map((l) => (typeof l === 'string' ? l : isObj(l) ? str(l['type']) : undefined));
    if (types.length > 0 && types.every((t): t is string => typeof t === 'string' && t.length > 0)) {
      return types.length === 1 ? types[0] : `(${types.join(' OR ')})`;
    }
  }
  return undefined;
}

/** The package name a lock path installs, e.g. node_modules/a/node_modules/@s/b → @s/b. */
export function nameFromPath(path: string): string | undefined {
  const i = path.lastIndexOf('node_modules/');
  if (i < 0) return undefined;
  const name = path.slice(i + 'node_modules/'.length);
  return /^(@[^/]+\/)?[^/@][^/]*$/.test(name) ? name : undefined;
}

/** Splits an allowScripts key into name and version spec: "a", "a@1.0.0", "a@1.0.0||1.0.1", "@s/a@*". */
export function parseScriptKey(key: string): { name: string; versions: readonly string[] | '*' } | undefined {
  const at = key.indexOf('@', key.startsWith('@') ? 1 : 0);
  const name = at < 0 ? key : key.slice(0, at);
  if (!/^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*$/i.test(name)) return undefined;
  const spec = at < 0 ? '*' : key.slice(at + 1).trim();
  if (spec === '*' || spec === '') return { name, versions: '*' };
  const versions = spec.split('||').map((v) => v.trim());
  // npm accepts only exact versions joined by "||"; ranges and dist-tags are ignored (never match).
  return versions.every((v) => /^\d+\.\d+\.\d+(-[\w.-]+)?(\+[\w.-]+)?$/.test(v)) ? { name, versions } : undefined;
}

/** npm's allowScripts rule: a matching `false` (deny) wins over a matching `true`; no match = unreviewed. */
export function scriptPolicy(allowScripts: Json, name: string, version: string): Exclude<InstallScriptPolicy, 'none'> {
  let allow = false;
  let deny = false;
  for (const [key, value] of Object.entries(allowScripts)) {
    const k = parseScriptKey(key);
    if (!k || k.name !== name || (k.versions !== '*' && !k.versions.includes(version))) continue;
    if (value === false) deny = true;
    else if (value === true) allow = true;
  }
  return deny ? 'denied' : allow ? 'allowed' : 'unlisted';
}

export interface BuildInput {
  readonly packageLockText: string;
  readonly packageJson: unknown;
  /** Returns the parsed node_modules/<path>/package.json, or undefined when absent. */
  readonly readInstalled: (path: string) => unknown;
}

export function buildRequirements(input: BuildInput): Result<RequirementsLock> {
  let lock: unknown;
  try { lock = JSON.parse(input.packageLockText); } catch {
    return { ok: false, code: 'LOCK_ERR_PARSE', message: 'package-lock.json is not valid JSON' };
  }
  if (!isObj(lock) || lock['lockfileVersion'] !== 3 || !isObj(lock['packages'])) {
    return { ok: false, code: 'LOCK_ERR_SHAPE', message: 'package-lock.json must be lockfileVersion 3 with a packages map' };
  }
  const pkg = isObj(input.packageJson) ? input.packageJson : {};
  const allow = isObj(pkg['allowScripts']) ? pkg['allowScripts'] : {};
  const deps = isObj(pkg['dependencies']) ? pkg['dependencies'] : {};
  const engines = isObj(pkg['engines']) ? pkg['engines'] : {};
  const out: LockedPackage[] = [];
  for (const path of Object.keys(lock['packages']).sort()) {
    if (path === '') continue; // the project itself
    const e = lock['packages'][path];
    if (!isObj(e)) return { ok: false, code: 'LOCK_ERR_SHAPE', message: `entry ${path} is not an object` };
    const name = str(e['name']) ?? nameFromPath(path);
    const version = str(e['version']);
    if (!name || !version) return { ok: false, code: 'LOCK_ERR_SHAPE', message: `entry ${path} has no name or version` };
    const integrity = str(e['integrity']) ?? null;
    if (integrity !== null && !/^sha512-[A-Za-z0-9+/]{86}==$/.test(integrity)) {
      return { ok: false, code: 'LOCK_ERR_INTEGRITY', message: `entry ${path} has no sha512 integrity` };
    }
    if (integrity === null && e['link'] !== true) {
      return { ok: false, code: 'LOCK_ERR_INTEGRITY', message: `entry ${path} has no integrity` };
    }
    const installed = input.readInstalled(path);
    const license = (isObj(installed) ? normaliseLicense(installed['license'], installed['licenses']) : undefined)
      ?? normaliseLicense(e['license']) ?? 'UNKNOWN';
    const hasInstallScript = e['hasInstallScript'] === true;
    const resolved = str(e['resolved']);
    out.push({
      path, name, version, integrity,
      ...(resolved !== undefined ? { resolved } : {}),
      license,
      dev: e['dev'] === true,
      optional: e['optional'] === true,
      devOptional: e['devOptional'] === true,
      hasInstallScript,
      installScript: hasInstallScript ? scriptPolicy(allow, name, version) : 'none',
    });
  }
  return {
    ok: true,
    value: {
      format: 'palisade-requirements-lock@1',
      generatedBy: 'scripts/lock.ts',
      source: { file: 'package-lock.json', sha256: createHash('sha256').update(input.packageLockText).digest('hex'), lockfileVersion: 3 },
      node: { pinned: str(deps['node']) ?? null, engines: str(engines['node']) ?? null },
      packages: out,
    },
  };
}

/** Stable text form: fixed key order comes from construction, two-space indent, final newline. */
export function serialise(req: RequirementsLock): string {
  return JSON.stringify(req, null, 2) + '\n';
}

export function readJsonFile(file: string): unknown {
  try { return JSON.parse(readFileSync(file, 'utf8')); } catch { return undefined; }
}

/** Generates the requirements from a project root holding package.json, package-lock.json and node_modules. */
export function generateFromRoot(root: string): Result<RequirementsLock> {
  let text: string;
  try { text = readFileSync(join(root, 'package-lock.json'), 'utf8'); } catch {
    return { ok: false, code: 'LOCK_ERR_IO', message: `cannot read ${join(root, 'package-lock.json')}` };
  }
  const packageJson = readJsonFile(join(root, 'package.json'));
  if (packageJson === undefined) return { ok: false, code: 'LOCK_ERR_IO', message: 'cannot read package.json' };
  return buildRequirements({ packageLockText: text, packageJson, readInstalled: (p) => readJsonFile(join(root, p, 'package.json')) });
}
