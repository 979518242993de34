// Minimal reader for npm package tarballs (gzip + ustar/pax/GNU long names). Input is treated as
// hostile: every offset and size is bounds-checked. Returns regular files with the first path
// component stripped (npm installs "package/x" as "x").
import { gunzipSync } from 'node:zlib';

export type TarResult = { ok: true; files: Map<string, Buffer> } | { ok: false; code: string; message: string };

const MAX_UNPACKED = 1024 * 1024 * 1024; // 1 GiB: refuse gzip bombs

function cstr(b: Buffer, start: number, len: number): string {
  const s = b.subarray(start, start + len);
  const nul = s.indexOf(0);
  return s.subarray(0, nul < 0 ? s.length : nul).toString('utf8');
}

function octal(b: Buffer, start: number, len: number): number {
  const first = b[start] ?? 0;
  if (first & 0x80) { // base-256 (GNU) for large sizes
    let n = first & 0x7f;
    for (let i = 1; i < len; i++) n = n * 256 + (b[start + i] ?? 0);
    return n;
  }
  const s = cstr(b, start, len).trim();
  return s === '' ? 0 : /^[0-7]+$/.test(s) ? parseInt(s, 8) : -1;
}

function paxPath(data: Buffer): string | undefined {
  let i = 0;
  let path: string | undefined;
  while (i < data.length) {
    const sp = data.indexOf(0x20, i);
    if (sp < 0) break;
    const len = Number(data.subarray(i, sp).toString('ascii'));
    if (!Number.isInteger(len) || len <= 0 || i + len > data.length) break;
    const rec = data.subarray(sp + 1, i + len - 1).toString('utf8');
    if (rec.startsWith('path=')) path = rec.slice(5);
    i += len;
  }
  return path;
}

export function readNpmTarball(gz: Buffer): TarResult {
  let tar: Buffer;
  try { tar = gunzipSync(gz, { maxOutputLength: MAX_UNPACKED }); } catch {
    return { ok: false, code: 'TAR_ERR_GZIP', message: 'not a gzip stream or larger than 1 GiB unpacked' };
  }
  const files = new Map<string, Buffer>();
  let off = 0;
  let nextName: string | undefined;
  while (off + 512 <= tar.length) {
    const h = tar.subarray(off, off + 512);
    if (h.every((x) => x === 0)) break;
    const size = octal(h, 124, 12);
    if (size < 0 || off + 512 + size > tar.length) return { ok: false, code: 'TAR_ERR_SHAPE', message: `bad entry size at offset ${off}` };
    const type = String.fromCharCode(h[156] ?? 0);
    const data = tar.subarray(off + 512, off + 512 + size);
    const prefix = cstr(h, 257, 6).startsWith('ustar') ? cstr(h, 345, 155) : '';
    const name = nextName ?? (prefix ? `${prefix}/${cstr(h, 0, 100)}` : cstr(h, 0, 100));
    off += 512 + Math.ceil(size / 512) * 512;
    if (type === 'x') { nextName = paxPath(data); continue; }
    if (type === 'L') { nextName = cstr(data, 0, data.length); continue; }
    nextName = undefined;
    if (type !== '0' && type !== '\0' && type !== '7') continue; // dirs, links, global headers: npm skips links
    const rel = name.replace(/\\/g, '/').split('/').slice(1).filter((p) => p !== '' && p !== '.').join('/');
    if (rel === '' || rel.split('/').includes('..')) continue; // npm refuses to extract these too
    files.set(rel, data);
  }
  return { ok: true, files };
}
