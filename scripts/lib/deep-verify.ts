// Compares an installed package directory byte-for-byte with its (integrity-checked) npm tarball.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readNpmTarball } from './tarball.ts';
import type { InstallScriptPolicy } from './requirements.ts';

export interface DeepResult { readonly failures: string[]; readonly notes: string[]; readonly files: number }

function listFiles(dir: string, rel: string, out: string[]): void {
  let entries;
  try { entries = readdirSync(join(dir, rel), { withFileTypes: true }); } catch { return; }
  for (const e of entries) {
    const r = rel === '' ? e.name : `${rel}/${e.name}`;
    if (e.isDirectory()) { if (r !== 'node_modules') listFiles(dir, r, out); } else out.push(r);
  }
}

const sample = (xs: readonly string[]): string => `${xs.slice(0, 5).join(', ')}${xs.length > 5 ? `, … (${xs.length} files)` : ''}`;

/**
 * `tarball` must already match the locked integrity. Modified or missing files fail. Files the tarball
 * does not contain are what an install script (or a person) added: fine for an allowed script, a failure
 * for a denied one ("install script ran although denied") or for a package without install scripts.
 */
export function deepCheck(root: string, pkgPath: string, name: string, policy: InstallScriptPolicy, tarball: Buffer): DeepResult {
  const failures: string[] = [];
  const notes: string[] = [];
  const tar = readNpmTarball(tarball);
  if (!tar.ok) return { failures: [`unreadable tarball for ${pkgPath}: ${tar.message}`], notes, files: 0 };
  const dir = join(root, pkgPath);
  const expected = new Map<string, Buffer>();
  for (const [rel, data] of tar.files) {
    if (rel === 'node_modules' || rel.startsWith('node_modules/')) continue; // bundled deps are their own lock entries
    // npm's extractor installs a packed .gitignore as .npmignore
    const target = /(^|\/)\.gitignore$/.test(rel) ? rel.replace(/\.gitignore$/, '.npmignore') : rel;
    if (!expected.has(target) || target === rel) expected.set(target, data);
  }
  const modified: string[] = [];
  const missing: string[] = [];
  for (const [rel, data] of expected) {
    let cur: Buffer;
    try { cur = readFileSync(join(dir, rel)); } catch { missing.push(rel); continue; }
    if (!cur.equals(data)) modified.push(rel);
  }
  const installed: string[] = [];
  listFiles(dir, '', installed);
  const added = installed.filter((f) => !expected.has(f)).sort();
  if (modified.length > 0) failures.push(`modified files in ${pkgPath} (differ from the locked tarball): ${sample(modified.sort())}`);
  if (missing.length > 0) failures.push(`files missing from ${pkgPath}: ${sample(missing.sort())}`);
  if (added.length > 0) {
    switch (policy) {
      case 'allowed': notes.push(`${pkgPath}: files added by its allowed install script: ${sample(added)}`); break;
      case 'denied': failures.push(`install script ran although denied in allowScripts: ${name} (added ${sample(added)})`); break;
      case 'unlisted': failures.push(`files added to ${pkgPath} by an install script not in allowScripts: ${sample(added)}`); break;
      case 'none': failures.push(`files in ${pkgPath} that are not in the locked tarball: ${sample(added)}`); break;
      default: { const never: never = policy; throw new Error(`unhandled ${String(never)}`); }
    }
  }
  return { failures, notes, files: expected.size };
}
