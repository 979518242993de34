/**
 * Crash recovery at open. A crash mid-write can leave a torn final line (bytes after the last
 * newline). It is detected, copied aside to `<file>.torn-<time>` (0600) and the file is
 * truncated to the end of the last complete line, so appends continue. Never fatal.
 */
import { closeSync, fstatSync, ftruncateSync, fsyncSync, openSync, readSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fsyncDir } from './fsutil.ts';

export interface TornTail {
  /** byte offset where the torn bytes started (= the new file size) */
  readonly offset: number;
  readonly bytes: number;
  /** where the torn bytes were saved, when they were moved aside */
  readonly moved_to?: string;
}

export interface TailScan {
  readonly size: number;
  /** size up to and including the last newline */
  readonly goodSize: number;
  /** the last complete line (without newline), null when there is none */
  readonly lastLine: string | null;
}

const CHUNK = 64 * 1024;

export function scanTail(fd: number): TailScan {
  const size = fstatSync(fd).size;
  let end = size;
  let buf = Buffer.alloc(0);
  let goodSize = -1;
  while (end > 0) {
    const start = Math.max(0, end - CHUNK);
    const chunk = Buffer.alloc(end - start);
    readSync(fd, chunk, 0, chunk.length, start);
    buf = Buffer.concat([chunk, buf]);
    end = start;
    if (goodSize < 0) {
      const nl = buf.lastIndexOf(0x0a);
      if (nl >= 0) goodSize = end + nl + 1;
    }
    if (goodSize >= 0) {
      const rel = goodSize - 1 - end; // index of the final newline inside buf
      const before = buf.lastIndexOf(0x0a, rel - 1);
      if (before >= 0 || end === 0) {
        return { size, goodSize, lastLine: buf.subarray(before + 1, rel).toString('utf8') };
      }
    }
  }
  return { size, goodSize: Math.max(goodSize, 0), lastLine: null };
}

/** Moves torn bytes (after `scan.goodSize`) aside and truncates `fd` (opened for writing). */
export function recoverTornTail(fd: number, file: string, scan: TailScan): TornTail | null {
  if (scan.size === scan.goodSize) return null;
  const bytes = scan.size - scan.goodSize;
  const torn = Buffer.alloc(bytes);
  readSync(fd, torn, 0, bytes, scan.goodSize);
  const movedTo = `${file}.torn-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  writeFileSync(movedTo, torn, { mode: 0o600, flag: 'wx' });
  const saved = openSync(movedTo, 'r');
  try {
    fsyncSync(saved);
  } finally {
    closeSync(saved);
  }
  fsyncDir(dirname(file));
  ftruncateSync(fd, scan.goodSize);
  fsyncSync(fd);
  return { offset: scan.goodSize, bytes, moved_to: movedTo };
}
