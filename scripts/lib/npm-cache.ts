// Locates a tarball in npm's content-addressed cache (cacache) by its sha512 integrity and re-hashes it.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { openSync, readSync, closeSync, existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export type CacheCheck =
  | { status: 'verified' }
  | { status: 'absent' }
  | { status: 'mismatch'; actual: string }
  | { status: 'invalid-integrity' };

/** cacache stores content at content-v2/<algo>/<hex[0..2]>/<hex[2..4]>/<hex[4..]>. */
export function contentPath(cacacheDir: string, integrity: string): string | undefined {
  const m = /^sha512-([A-Za-z0-9+/]{86}==)$/.exec(integrity);
  if (!m || m[1] === undefined) return undefined;
  const hex = Buffer.from(m[1], 'base64').toString('hex');
  return join(cacacheDir, 'content-v2', 'sha512', hex.slice(0, 2), hex.slice(2, 4), hex.slice(4));
}

function sha512File(file: string): string {
  const h = createHash('sha512');
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (let n = readSync(fd, buf); n > 0; n = readSync(fd, buf)) h.update(buf.subarray(0, n));
  } finally { closeSync(fd); }
  return `sha512-${h.digest('base64')}`;
}

export function checkCachedTarball(cacacheDir: string, integrity: string): CacheCheck {
  const file = contentPath(cacacheDir, integrity);
  if (file === undefined) return { status: 'invalid-integrity' };
  if (!existsSync(file)) return { status: 'absent' };
  const actual = sha512File(file);
  return actual === integrity ? { status: 'verified' } : { status: 'mismatch', actual };
}

/** npm's cache root: $npm_config_cache, else `npm config get cache`, else ~/.npm. Returns <root>/_cacache. */
export function defaultCacacheDir(): string {
  const env = process.env['npm_config_cache'];
  if (env && env.length > 0) return join(env, '_cacache');
  try {
    const out = execFileSync('npm', ['config', 'get', 'cache'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 20_000 });
    const line = out.split('\n').map((l) => l.trim()).find((l) => l.startsWith('/'));
    if (line) return join(line, '_cacache');
  } catch { /* fall through to the default location */ }
  return join(homedir(), '.npm', '_cacache');
}
