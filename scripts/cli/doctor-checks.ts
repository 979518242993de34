/**
 * The doctor's local checks as small decisions: each returns a Check with a status and,
 * when not ok, a one-line fix. Read-only: nothing here creates or chmods anything.
 */
import { existsSync, lstatSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import type { ConfigResult } from '../../agent-gateway/config.ts';

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface Check {
  readonly name: string;
  readonly status: CheckStatus;
  readonly detail: string;
  readonly fix?: string;
}

export const MIN_NODE_MAJOR = 24;

export function checkNodeVersion(version: string): Check {
  const major = Number(/^v?(\d+)\./.exec(version)?.[1] ?? Number.NaN);
  if (major >= MIN_NODE_MAJOR) return { name: 'node', status: 'ok', detail: `Node ${version}` };
  return {
    name: 'node', status: 'fail', detail: `Node ${version} is too old (need ${MIN_NODE_MAJOR} or newer)`,
    fix: 'run "npm ci" and use "npx palisade ..." or node_modules/.bin/node (the project pins Node 24)',
  };
}

export function checkConfig(parsed: ConfigResult): Check {
  if (parsed.ok) {
    const warn = parsed.warnings.length > 0;
    return { name: 'config', status: warn ? 'warn' : 'ok', detail: warn ? parsed.warnings.join('; ') : `PALISADE_* environment parses (data dir ${parsed.config.dataDir})`, ...(warn ? { fix: 'set PALISADE_HOST=127.0.0.1' } : {}) };
  }
  return { name: 'config', status: 'fail', detail: parsed.problems.join('; '), fix: 'correct or unset the PALISADE_* variables listed' };
}

/** Private dirs (0700) and files (0600) the gateway creates; names relative to the data dir. */
export const PRIVATE_DIRS: readonly string[] = ['.', 'audit'];
export const PRIVATE_FILES: readonly string[] = [
  'palisade.db', 'palisade.db-wal', 'palisade.db-shm', 'audit.key', 'audit-signing.key', 'provider-master.key',
  'audit/audit.jsonl', 'audit/checkpoints.jsonl',
];

/** One path's type and mode against what it must be. */
export function modeProblem(rel: string, st: Stats, kind: 'dir' | 'file'): string | null {
  if (st.isSymbolicLink()) return `${rel} is a symlink`;
  if (kind === 'dir' && !st.isDirectory()) return `${rel} is not a directory`;
  if (kind === 'file' && !st.isFile()) return `${rel} is not a regular file`;
  const mode = st.mode & 0o777;
  if ((mode & 0o077) !== 0) return `${rel} is mode ${mode.toString(8).padStart(4, '0')} (group/others have access)`;
  if (typeof process.getuid === 'function' && st.uid !== process.getuid()) return `${rel} is owned by uid ${st.uid}, not by this user`;
  return null;
}

export function checkDataDir(dataDir: string): Check {
  if (!existsSync(dataDir)) {
    return { name: 'data dir', status: 'warn', detail: `${dataDir} does not exist yet`, fix: 'it is created (0700) at the first "palisade serve"; or create it: mkdir -m 700 <dir>' };
  }
  const problems: string[] = [];
  const badFiles: string[] = [];
  const badDirs: string[] = [];
  for (const rel of PRIVATE_DIRS) {
    const path = rel === '.' ? dataDir : join(dataDir, rel);
    if (rel !== '.' && !existsSync(path)) continue;
    const p = modeProblem(rel === '.' ? dataDir : rel, lstatSync(path), 'dir');
    if (p !== null) (problems.push(p), badDirs.push(path));
  }
  for (const rel of PRIVATE_FILES) {
    const path = join(dataDir, rel);
    let st: Stats;
    try {
      st = lstatSync(path);
    } catch {
      continue;
    }
    const p = modeProblem(rel, st, 'file');
    if (p !== null) (problems.push(p), badFiles.push(path));
  }
  if (problems.length === 0) return { name: 'data dir', status: 'ok', detail: `${dataDir}: directories 0700, files 0600` };
  const fixes = [badDirs.length > 0 ? `chmod 700 ${badDirs.join(' ')}` : '', badFiles.length > 0 ? `chmod 600 ${badFiles.join(' ')}` : ''].filter((s) => s !== '');
  return { name: 'data dir', status: 'fail', detail: problems.join('; '), fix: `${fixes.join(' && ')} (replace symlinks or foreign-owned files with your own regular files)` };
}

export function checkAuditKey(dataDir: string, configKeySet: boolean): Check {
  const keyFile = join(dataDir, 'audit.key');
  const hasLog = existsSync(join(dataDir, 'audit', 'audit.jsonl'));
  if (configKeySet) return { name: 'audit key', status: 'ok', detail: 'PALISADE_AUDIT_KEY is set' };
  if (existsSync(keyFile)) return { name: 'audit key', status: 'ok', detail: `key file ${keyFile} present (back it up; without it the log is unreadable)` };
  if (hasLog) {
    return { name: 'audit key', status: 'fail', detail: 'an audit log exists but no key: it cannot be read or verified', fix: `set PALISADE_AUDIT_KEY or restore ${keyFile} from your backup` };
  }
  return { name: 'audit key', status: 'warn', detail: 'no audit key yet; a key file is generated at the first start', fix: 'set PALISADE_AUDIT_KEY (64 hex chars, e.g. openssl rand -hex 32) or back up the generated audit.key' };
}
