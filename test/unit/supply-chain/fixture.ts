// Builds a small, self-contained npm project in a temp dir: package.json, package-lock.json v3,
// node_modules (extracted copies) and an npm cacache holding each package's real .tgz, packed with GNU tar.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { contentPath } from '../../../scripts/lib/npm-cache.ts';

export interface FixturePkg {
  readonly path: string;
  readonly name: string;
  readonly version: string;
  readonly license?: string;
  readonly hasInstallScript?: boolean;
  readonly scripts?: Record<string, string>;
  readonly optional?: boolean;
  readonly installed?: boolean; // default true
  readonly cached?: boolean; // default true
  readonly files?: Readonly<Record<string, string>>; // extra files packed into the tarball
  /** Not in package-lock.json: recorded in its parent's node_modules/.package-lock.json, as npm does for a nested install run by a script. */
  readonly hiddenLock?: boolean;
}

export interface Fixture { readonly root: string; readonly cache: string; integrityOf(path: string): string }

export function writeJson(file: string, value: unknown): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(value, null, 2) + '\n');
}

export function makeFixture(pkgs: readonly FixturePkg[], allowScripts: Record<string, boolean>): Fixture {
  const root = mkdtempSync(join(tmpdir(), 'palisade-lock-'));
  const cache = join(root, '.npm-cache', '_cacache');
  const integrity = new Map<string, string>();
  const lockPackages: Record<string, unknown> = { '': { name: 'fixture', version: '1.0.0' } };
  for (const p of pkgs) {
    const manifest = { name: p.name, version: p.version, license: p.license ?? 'MIT', ...(p.scripts ? { scripts: p.scripts } : {}) };
    const staging = join(root, '.staging');
    rmSync(staging, { recursive: true, force: true });
    writeJson(join(staging, 'package', 'package.json'), manifest);
    mkdirSync(join(staging, 'package', 'lib'), { recursive: true });
    writeFileSync(join(staging, 'package', 'lib', 'index.js'), `module.exports = ${JSON.stringify(p.name)};\n`);
    for (const [rel, text] of Object.entries(p.files ?? {})) {
      mkdirSync(dirname(join(staging, 'package', rel)), { recursive: true });
      writeFileSync(join(staging, 'package', rel), text);
    }
    const tgz = join(root, '.staging.tgz');
    execFileSync('tar', ['--sort=name', '--owner=0', '--group=0', '--mtime=@0', '-czf', tgz, '-C', staging, 'package']);
    const tarball = readFileSync(tgz);
    rmSync(tgz);
    const sri = `sha512-${createHash('sha512').update(tarball).digest('base64')}`;
    integrity.set(p.path, sri);
    const entry = {
      version: p.version,
      integrity: sri,
      license: p.license ?? 'MIT',
      ...(p.hasInstallScript ? { hasInstallScript: true } : {}),
      ...(p.optional ? { optional: true } : {}),
    };
    if (p.hiddenLock) {
      const cut = p.path.lastIndexOf('/node_modules/');
      const hiddenFile = join(root, p.path.slice(0, cut), 'node_modules', '.package-lock.json');
      const rel = p.path.slice(cut + 1);
      let hidden: { lockfileVersion: number; packages: Record<string, unknown> } = { lockfileVersion: 3, packages: {} };
      try { hidden = JSON.parse(readFileSync(hiddenFile, 'utf8')) as typeof hidden; } catch { /* first entry */ }
      hidden.packages[rel] = entry;
      writeJson(hiddenFile, hidden);
    } else {
      lockPackages[p.path] = entry;
    }
    if (p.installed !== false) {
      cpSync(join(staging, 'package'), join(root, p.path), { recursive: true });
      // like npm's extractor, install a packed top-level .gitignore as .npmignore
      if (p.files?.['.gitignore'] !== undefined) renameSync(join(root, p.path, '.gitignore'), join(root, p.path, '.npmignore'));
    }
    rmSync(staging, { recursive: true, force: true });
    if (p.cached !== false) {
      const file = contentPath(cache, sri);
      if (file === undefined) throw new Error('bad integrity');
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, tarball);
    }
  }
  writeJson(join(root, 'package.json'), { name: 'fixture', version: '1.0.0', allowScripts });
  writeJson(join(root, 'package-lock.json'), { name: 'fixture', version: '1.0.0', lockfileVersion: 3, requires: true, packages: lockPackages });
  return {
    root,
    cache,
    integrityOf(path: string): string {
      const v = integrity.get(path);
      if (v === undefined) throw new Error(`no package ${path}`);
      return v;
    },
  };
}
