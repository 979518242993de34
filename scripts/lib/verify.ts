// Verifies node_modules against requirements.lock.json: presence, name+version, nothing extra,
// tarball integrity via npm's cache, and install scripts against package.json allowScripts.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkCachedTarball, contentPath } from './npm-cache.ts';
import { deepCheck } from './deep-verify.ts';
import { checkScriptInstalled, type Owner } from './script-installed.ts';
import { listInstalled, installScriptsOf } from './installed.ts';
import { scriptPolicy } from './requirements.ts';

export interface VerifyOptions {
  readonly root: string;
  readonly requirements: unknown; // parsed requirements.lock.json (untrusted)
  readonly allowScripts: Record<string, unknown>;
  readonly cacacheDir: string;
  readonly strict: boolean;
  /** Also compare every installed file with the cached tarball (default true). */
  readonly deep?: boolean;
}

export interface VerifyReport {
  readonly ok: boolean;
  readonly failures: readonly string[];
  readonly unverifiable: readonly string[]; // tarball not in the npm cache
  readonly skipped: readonly string[]; // optional packages not installed on this platform
  readonly verified: number; // packages whose cached tarball re-hashed to the locked integrity
  readonly filesCompared: number; // installed files compared byte-for-byte with their tarball (deep)
  readonly notes: readonly string[];
  readonly checked: number;
}

interface Entry { path: string; name: string; version: string; integrity: string | null; optional: boolean; hasInstallScript: boolean }

function parseEntries(req: unknown): Entry[] | string {
  if (typeof req !== 'object' || req === null || !Array.isArray((req as Record<string, unknown>)['packages'])) {
    return 'requirements.lock.json has no packages array';
  }
  const out: Entry[] = [];
  for (const p of (req as { packages: unknown[] }).packages) {
    if (typeof p !== 'object' || p === null) return 'requirements.lock.json has a non-object package entry';
    const r = p as Record<string, unknown>;
    const { path, name, version, integrity } = r;
    if (typeof path !== 'string' || typeof name !== 'string' || typeof version !== 'string' || !(typeof integrity === 'string' || integrity === null)) {
      return `requirements.lock.json entry is malformed: ${JSON.stringify(path)}`;
    }
    out.push({ path, name, version, integrity, optional: r['optional'] === true || r['devOptional'] === true, hasInstallScript: r['hasInstallScript'] === true });
  }
  return out;
}

export function verifyInstalled(opts: VerifyOptions): VerifyReport {
  const failures: string[] = [];
  const unverifiable: string[] = [];
  const skipped: string[] = [];
  const notes: string[] = [];
  let verified = 0;
  let filesCompared = 0;
  const entries = parseEntries(opts.requirements);
  if (typeof entries === 'string') return { ok: false, failures: [entries], unverifiable, skipped, verified, checked: 0, filesCompared, notes };
  const locked = new Map(entries.map((e) => [e.path, e] as const));
  const installed = listInstalled(opts.root);
  const present = new Set(installed.map((i) => i.path));
  const owners: Owner[] = entries.filter((e) => e.hasInstallScript)
    .map((e) => ({ path: e.path, name: e.name, allowedScript: scriptPolicy(opts.allowScripts, e.name, e.version) === 'allowed' }));

  for (const inst of installed) {
    const want = locked.get(inst.path);
    const name = typeof inst.manifest?.['name'] === 'string' ? inst.manifest['name'] : '?';
    const version = typeof inst.manifest?.['version'] === 'string' ? inst.manifest['version'] : '?';
    if (!want) {
      const s = checkScriptInstalled(opts.root, inst.path, name, version, owners, opts.cacacheDir, opts.deep !== false);
      if (s.kind === 'unlocked') { failures.push(`not in lock: ${inst.path} (${name}@${version})`); continue; }
      failures.push(...s.failures);
      notes.push(...s.notes);
      filesCompared += s.files;
      if (s.unverifiable) unverifiable.push(inst.path);
      continue;
    }
    if (inst.symlink) failures.push(`symlinked package: ${inst.path}`);
    if (name !== want.name || version !== want.version) {
      failures.push(`version mismatch: ${inst.path} is ${name}@${version}, locked ${want.name}@${want.version}`);
    }
    const scripts = installScriptsOf(inst.manifest);
    const implicitGyp = scripts.length === 0 && existsSync(join(opts.root, inst.path, 'binding.gyp'));
    if ((scripts.length > 0 || implicitGyp) && !want.hasInstallScript) {
      failures.push(`install script not locked: ${want.name} (${implicitGyp ? 'binding.gyp' : scripts.join(', ')})`);
    }
  }

  for (const e of entries) {
    if (e.hasInstallScript && scriptPolicy(opts.allowScripts, e.name, e.version) === 'unlisted') {
      failures.push(`install script not allowed: ${e.name}@${e.version} (not listed in package.json allowScripts)`);
    }
    if (!present.has(e.path)) {
      if (e.optional) skipped.push(e.path);
      else failures.push(`missing: ${e.path} (${e.name}@${e.version})`);
      continue;
    }
    if (e.integrity === null) { unverifiable.push(`${e.path} (no integrity)`); continue; }
    const c = checkCachedTarball(opts.cacacheDir, e.integrity);
    switch (c.status) {
      case 'verified': {
        verified++;
        const file = contentPath(opts.cacacheDir, e.integrity);
        if (opts.deep !== false && file !== undefined) {
          const d = deepCheck(opts.root, e.path, e.name, e.hasInstallScript ? scriptPolicy(opts.allowScripts, e.name, e.version) : 'none', readFileSync(file));
          failures.push(...d.failures);
          notes.push(...d.notes);
          filesCompared += d.files;
        }
        break;
      }
      case 'absent': unverifiable.push(e.path); break;
      case 'mismatch': failures.push(`integrity mismatch: ${e.path} cached tarball hashes to ${c.actual}`); break;
      case 'invalid-integrity': failures.push(`invalid integrity string: ${e.path}`); break;
      default: { const never: never = c; throw new Error(`unhandled ${String(never)}`); }
    }
  }
  if (opts.strict) for (const u of unverifiable) failures.push(`unverifiable (strict): ${u}`);
  return { ok: failures.length === 0, failures, unverifiable, skipped, verified, checked: entries.length - skipped.length, filesCompared, notes };
}
