/**
 * An upstream server's package closure as ONE directory (issue 20 item 1 for upstream servers):
 * a copy of exactly the closure's files (package-closure.ts `dirs`, each at its host path below
 * the copy's root, so Node's resolution inside is the resolution outside), kept under
 * `<data dir>/mcp-packages/<sha256>` and mounted read-only at /srv as one bind. One mount
 * instead of one per package (104 for server-filesystem): gVisor's gofer and Sentry need host
 * tasks and memory per mount, so 104 binds did not start within the worker quotas under runsc.
 *
 * The name is the content hash of the closure's manifest: every entry (path, kind, executable
 * bit, size, sha256 of the bytes; symlinks by their text, never followed on the host; other file
 * kinds refused). Each use re-hashes the source and the copy: a copy that differs in anything
 * (a changed, added or removed file, also one edited in the data dir) is replaced by a fresh
 * copy, and a fresh copy that does not hash to the source's digest (the source changed while it
 * was copied) is refused. Files are 0644 (0755 if executable): no special bits, owned by the
 * gateway's user, never writable by the container's uid 65534, and mounted read-only anyway.
 *
 * Old copies: every copy and every sweep of a data dir run one at a time (`serial`), and
 * `sweepPackageCopies` (run once the gateway's start round of upstream servers has settled)
 * removes every entry of `mcp-packages/` that no packageCopy of this process handed out: copies
 * of versions no server uses any more and `.tmp-*` folders left by a crash mid-copy. A copy in
 * use is never removed; one removed while its server was down is made again at its next start.
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmod, copyFile, lstat, mkdir, open, readdir, readlink, rename, rm, symlink } from 'node:fs/promises';
import path from 'node:path';
import type { PackageClosure } from './package-closure.ts';

export const PACKAGE_COPIES_DIR = 'mcp-packages';
/** a closure larger than this is refused (bytes of regular files) */
export const MAX_CLOSURE_BYTES = 512 * 1024 * 1024;
const MAX_ENTRIES = 100_000;
const COPY_BATCH = 32;

export interface PackageCopy {
  /** the copy's root on the host (bind it read-only at /srv) */
  readonly dir: string;
  readonly digest: string;
  /** true when this call made the copy, false when a verified copy was reused */
  readonly made: boolean;
}

/** copies handed out by this process, per copies dir: the sweep keeps exactly these */
const handedOut = new Map<string, Set<string>>();
let queue: Promise<unknown> = Promise.resolve();
/** one copy or sweep at a time in this process (one gateway owns a data dir) */
function serial<T>(work: () => Promise<T>): Promise<T> {
  const run = queue.then(work);
  queue = run.catch(() => undefined);
  return run;
}

type Entry = readonly [rel: string, kind: 'd' | 'f' | 'x' | 'l', size: number, hash: string];

class CopyError extends Error {}

async function hashFile(file: string): Promise<{ size: number; hash: string }> {
  const fh = await open(file, 'r');
  try {
    const bytes = await fh.readFile();
    if ((await fh.stat()).size !== bytes.length) throw new CopyError(`${file} changed while it was read`);
    return { size: bytes.length, hash: createHash('sha256').update(bytes).digest('hex') };
  } finally {
    await fh.close();
  }
}

interface Budget {
  bytes: number;
  entries: number;
}

/** Every entry below `abs` (not following symlinks), paths relative to `base`, appended to `out`. */
async function walk(base: string, abs: string, out: Entry[], budget: Budget): Promise<void> {
  const names = (await readdir(abs)).sort();
  budget.entries += names.length;
  if (budget.entries > MAX_ENTRIES) throw new CopyError(`more than ${MAX_ENTRIES} files`);
  const entries = await Promise.all(names.map(async (name): Promise<Entry> => {
    const p = path.join(abs, name);
    const rel = path.relative(base, p);
    const st = await lstat(p);
    if (st.isSymbolicLink()) return [rel, 'l', 0, await readlink(p)];
    if (st.isDirectory()) return [rel, 'd', 0, ''];
    if (!st.isFile()) throw new CopyError(`${p} is neither a file, a directory nor a symlink`);
    budget.bytes += st.size;
    if (budget.bytes > MAX_CLOSURE_BYTES) throw new CopyError(`more than ${MAX_CLOSURE_BYTES / 1024 / 1024} MiB of files`);
    const { size, hash } = await hashFile(p);
    return [rel, (st.mode & 0o111) !== 0 ? 'x' : 'f', size, hash];
  }));
  for (const e of entries) {
    out.push(e);
    if (e[1] === 'd') await walk(base, path.join(base, e[0]), out, budget);
  }
}

/** The closure's manifest as its source has it: the closure dirs' ancestors, then their trees. */
export async function sourceManifest(closure: Pick<PackageClosure, 'dirs'>): Promise<Entry[]> {
  const out: Entry[] = [];
  const ancestors = new Set<string>();
  for (const dir of closure.dirs) {
    const rel = path.relative('/', dir);
    const parts = rel.split(path.sep);
    for (let i = 1; i <= parts.length; i++) ancestors.add(parts.slice(0, i).join(path.sep));
  }
  for (const a of ancestors) out.push([a, 'd', 0, '']);
  const budget = { bytes: 0, entries: 0 };
  for (const dir of closure.dirs) await walk('/', dir, out, budget);
  return out;
}

/** A copy's manifest: everything below its root. */
export async function copyManifest(dir: string): Promise<Entry[]> {
  const out: Entry[] = [];
  await walk(dir, dir, out, { bytes: 0, entries: 0 });
  return out;
}

export function manifestDigest(entries: readonly Entry[]): string {
  const sorted = [...entries].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const h = createHash('sha256');
  for (const e of sorted) h.update(`${JSON.stringify(e)}\n`);
  return h.digest('hex');
}

async function makeCopy(manifest: readonly Entry[], into: string): Promise<void> {
  await mkdir(into, { mode: 0o755 });
  const sorted = [...manifest].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  for (const [rel, kind] of sorted) if (kind === 'd') await mkdir(path.join(into, rel), { mode: 0o755 });
  const rest = sorted.filter((e) => e[1] !== 'd');
  for (let i = 0; i < rest.length; i += COPY_BATCH) {
    await Promise.all(rest.slice(i, i + COPY_BATCH).map(async ([rel, kind, , text]) => {
      const target = path.join(into, rel);
      if (kind === 'l') return symlink(text, target);
      await copyFile(path.join('/', rel), target);
      await chmod(target, kind === 'x' ? 0o755 : 0o644);
    }));
  }
}

export type PackageCopyResult =
  | { readonly ok: true; readonly copy: PackageCopy }
  | { readonly ok: false; readonly code: 'GW_ERR_UPSTREAM_PACKAGE'; readonly reason: string };

/** The verified one-directory copy of `closure` under `<dataDir>/mcp-packages`, made if needed. */
export function packageCopy(dataDir: string, closure: Pick<PackageClosure, 'dirs'>): Promise<PackageCopyResult> {
  return serial(async () => {
    const result = await copyOnce(dataDir, closure);
    if (result.ok) {
      const base = path.dirname(result.copy.dir);
      const kept = handedOut.get(base) ?? new Set<string>();
      kept.add(result.copy.digest);
      handedOut.set(base, kept);
    }
    return result;
  });
}

/** Removes what no copy of this process handed out (see the header); returns the names removed. */
export function sweepPackageCopies(dataDir: string): Promise<string[]> {
  return serial(async () => {
    const base = path.join(dataDir, PACKAGE_COPIES_DIR);
    const kept = handedOut.get(base) ?? new Set<string>();
    const names = await readdir(base).catch(() => [] as string[]);
    const removed = names.filter((n) => !kept.has(n));
    for (const n of removed) await rm(path.join(base, n), { recursive: true, force: true });
    return removed;
  });
}

async function copyOnce(dataDir: string, closure: Pick<PackageClosure, 'dirs'>): Promise<PackageCopyResult> {
  const fail = (reason: string): PackageCopyResult => ({ ok: false, code: 'GW_ERR_UPSTREAM_PACKAGE', reason: `package copy: ${reason}` });
  try {
    const base = path.join(dataDir, PACKAGE_COPIES_DIR);
    await mkdir(base, { recursive: true, mode: 0o755 });
    const manifest = await sourceManifest(closure);
    const digest = manifestDigest(manifest);
    const dir = path.join(base, digest);
    const existing = await lstat(dir).catch(() => undefined);
    if (existing !== undefined) {
      if (existing.isDirectory() && manifestDigest(await copyManifest(dir)) === digest) return { ok: true, copy: { dir, digest, made: false } };
      await rm(dir, { recursive: true, force: true });
    }
    const tmp = path.join(base, `.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
    try {
      await makeCopy(manifest, tmp);
      if (manifestDigest(await copyManifest(tmp)) !== digest) return fail('the package changed while it was copied; try again');
      try {
        await rename(tmp, dir);
      } catch (error) {
        // another start made the same copy meanwhile: use it if it verifies
        if (manifestDigest(await copyManifest(dir).catch(() => [])) !== digest) throw error;
        return { ok: true, copy: { dir, digest, made: false } };
      }
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
    return { ok: true, copy: { dir, digest, made: true } };
  } catch (error) {
    return fail(error instanceof Error ? error.message : String(error));
  }
}
