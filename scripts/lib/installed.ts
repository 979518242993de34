// Enumerates what is actually installed under <root>/node_modules (recursively, including nested node_modules).
import { readdirSync, lstatSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { readJsonFile } from './requirements.ts';

export interface InstalledPackage {
  readonly path: string; // e.g. node_modules/a/node_modules/@s/b
  readonly manifest: Record<string, unknown> | undefined; // undefined: unreadable or not an object
  readonly symlink: boolean;
}

function listDir(dir: string): string[] {
  try { return readdirSync(dir).sort(); } catch { return []; }
}

function visitPackage(root: string, rel: string, out: InstalledPackage[]): void {
  const abs = join(root, rel);
  const symlink = lstatSync(abs).isSymbolicLink();
  const raw = readJsonFile(join(abs, 'package.json'));
  const manifest = typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as Record<string, unknown>) : undefined;
  out.push({ path: rel, manifest, symlink });
  if (!symlink && existsSync(join(abs, 'node_modules'))) walk(root, `${rel}/node_modules`, out);
}

function walk(root: string, relDir: string, out: InstalledPackage[]): void {
  for (const entry of listDir(join(root, relDir))) {
    if (entry.startsWith('.')) continue; // .bin, .package-lock.json, .cache
    const rel = `${relDir}/${entry}`;
    if (entry.startsWith('@')) {
      for (const scoped of listDir(join(root, rel))) if (!scoped.startsWith('.')) visitPackage(root, `${rel}/${scoped}`, out);
    } else {
      visitPackage(root, rel, out);
    }
  }
}

export function listInstalled(root: string): InstalledPackage[] {
  const out: InstalledPackage[] = [];
  walk(root, 'node_modules', out);
  return out;
}

const LIFECYCLE = ['preinstall', 'install', 'postinstall'] as const;

/** The install-time lifecycle scripts a manifest declares (npm runs these on install). */
export function installScriptsOf(manifest: Record<string, unknown> | undefined): string[] {
  const s = manifest?.['scripts'];
  if (typeof s !== 'object' || s === null) return [];
  return LIFECYCLE.filter((k) => typeof (s as Record<string, unknown>)[k] === 'string');
}
