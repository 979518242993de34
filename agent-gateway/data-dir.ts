/**
 * The data dir check run before anything opens state (issue 18.7): the path (or its deepest
 * existing ancestor) must be a directory on a real filesystem — not /proc, /sys, /dev or
 * another kernel pseudo-filesystem, where a sqlite open can fail oddly or hang — it must exist
 * or be creatable, and a file must be writable in it. Every refusal names PALISADE_DATA_DIR and
 * says how to fix it, instead of a raw EROFS/ENOENT from deep inside a store.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, statfsSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export type DataDirCheck =
  | { ok: true; created: boolean }
  | { ok: false; code: 'DATA_DIR_PSEUDO_FS' | 'DATA_DIR_NOT_DIRECTORY' | 'DATA_DIR_CANNOT_CREATE' | 'DATA_DIR_NOT_WRITABLE'; problem: string; fix: string };

/** statfs magic numbers of kernel pseudo-filesystems that can never hold state. */
const PSEUDO_FS: ReadonlyMap<number, string> = new Map([
  [0x9fa0, 'proc'], [0x62656572, 'sysfs'], [0x1cd1, 'devpts'], [0x27e0eb, 'cgroup'], [0x63677270, 'cgroup2'],
  [0x64626720, 'debugfs'], [0x73636673, 'securityfs'], [0xcafe4a11, 'bpf'], [0x74726163, 'tracefs'],
  [0x6165676c, 'pstore'], [0x62656570, 'configfs'], [0x42494e4d, 'binfmt_misc'], [0x19800202, 'mqueue'],
]);
const PSEUDO_PREFIXES = ['/proc', '/sys', '/dev'];

const err = (e: unknown): string => (e instanceof Error && 'code' in e ? String((e as NodeJS.ErrnoException).code) : 'error');

/** The deepest path at or above `dir` that exists, with what it is. */
function deepestExisting(dir: string): { path: string; isDirectory: boolean } {
  let p = dir;
  for (;;) {
    try {
      return { path: p, isDirectory: statSync(p).isDirectory() };
    } catch {
      const up = dirname(p);
      if (up === p) return { path: p, isDirectory: true };
      p = up;
    }
  }
}

export function checkDataDir(raw: string): DataDirCheck {
  const dir = resolve(raw);
  const name = `PALISADE_DATA_DIR=${dir}`;
  const pick = 'Set PALISADE_DATA_DIR to a writable folder on a disk, e.g. ./data or ~/.local/share/palisade.';
  // by path first (no syscall on the pseudo-filesystem at all), then by filesystem type
  if (PSEUDO_PREFIXES.some((p) => dir === p || dir.startsWith(`${p}/`))) {
    return { ok: false, code: 'DATA_DIR_PSEUDO_FS', problem: `${name} is on a kernel pseudo-filesystem (${dir.split('/')[1]}), which cannot hold state`, fix: pick };
  }
  const existing = deepestExisting(dir);
  if (!existing.isDirectory) {
    return {
      ok: false, code: 'DATA_DIR_NOT_DIRECTORY',
      problem: existing.path === dir ? `${name} is a file, not a folder` : `${name} is inside ${existing.path}, which is a file, not a folder`,
      fix: pick,
    };
  }
  try {
    const type = statfsSync(existing.path).type;
    const fs = PSEUDO_FS.get(type);
    if (fs !== undefined) return { ok: false, code: 'DATA_DIR_PSEUDO_FS', problem: `${name} is on a ${fs} pseudo-filesystem, which cannot hold state`, fix: pick };
  } catch {
    // statfs unsupported here: the write probe below still decides
  }
  let created = false;
  if (existing.path !== dir) {
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      created = true;
    } catch (e) {
      // recursive mkdir can report ENOENT for a read-only parent: ask for the first missing level alone
      let code = err(e);
      const first = join(existing.path, dir.slice(existing.path.length).split('/').filter((x) => x !== '')[0] ?? '');
      try {
        mkdirSync(first, { mode: 0o700 });
      } catch (e2) {
        code = err(e2);
      }
      return {
        ok: false, code: 'DATA_DIR_CANNOT_CREATE',
        problem: `${name} does not exist and cannot be created in ${existing.path} (${code}${code === 'EROFS' ? ': read-only filesystem' : code === 'EACCES' ? ': permission denied' : ''})`,
        fix: `Create it yourself (mkdir -p ${dir}) with write access for this user, or ${pick.charAt(0).toLowerCase()}${pick.slice(1)}`,
      };
    }
  }
  const probe = join(dir, `.palisade-write-check-${process.pid}`);
  try {
    const fd = openSync(probe, 'wx', 0o600);
    try {
      writeSync(fd, 'ok');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    unlinkSync(probe);
  } catch (e) {
    const code = err(e);
    return {
      ok: false, code: 'DATA_DIR_NOT_WRITABLE',
      problem: `${name} is not writable (${code}${code === 'EROFS' ? ': read-only filesystem' : code === 'EACCES' ? ': permission denied' : ''})`,
      fix: `Give this user write access (chown/chmod the folder, or remount it read-write), or ${pick.charAt(0).toLowerCase()}${pick.slice(1)}`,
    };
  }
  return { ok: true, created };
}

/** The one-paragraph message main.ts prints (after "palisade: cannot start: "). */
export function dataDirMessage(check: Extract<DataDirCheck, { ok: false }>): string {
  return `${check.problem}.\n  Fix: ${check.fix}`;
}
