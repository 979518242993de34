/**
 * Crash recovery at open. A crash mid-write can leave a torn final line (bytes after the last
 * newline). It is detected, copied aside to `<file>.torn-<time>` (0600) and the file is
 * truncated to the end of the last complete line, so appends continue. Never fatal.
 * Scans backward in bounded chunks: a huge torn tail or last line never loads whole.
 */
import { closeSync, fstatSync, fsyncSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { fsyncDir } from './fsutil.ts';
import { MAX_LINE_BYTES } from './line.ts';

export interface TornTail {
  /** byte offset where the torn bytes started (= the new file size) */
  readonly offset: number;
  readonly bytes: number;
  /** where the torn bytes were saved */
  readonly moved_to?: string;
}

export interface TailScan {
  readonly size: number;
  /** size up to and including the last newline */
  readonly goodSize: number;
  /** the last complete line (without newline), null when there is none; '' when over the line cap */
  readonly lastLine: string | null;
}

const CHUNK = 64 * 1024;

export function readRange(fd: number, start: number, end: number): Buffer {
  const buf = Buffer.alloc(end - start);
  let off = 0;
  while (off < buf.length) {
    const n = readSync(fd, buf, off, buf.length - off, start + off);
    if (n === 0) break;
    off += n;
  }
  return buf.subarray(0, off);
}

export function scanTail(fd: number): TailScan {
  const size = fstatSync(fd).size;
  let goodSize = 0;
  for (let pos = size; pos > 0;) {
    const start = Math.max(0, pos - CHUNK);
    const i = readRange(fd, start, pos).lastIndexOf(0x0a);
    if (i >= 0) { goodSize = start + i + 1; break; }
    pos = start;
  }
  if (goodSize === 0) return { size, goodSize: 0, lastLine: null };
  const parts: Buffer[] = [];
  let total = 0;
  for (let pos = goodSize - 1; pos > 0;) {
    const start = Math.max(0, pos - CHUNK);
    const chunk = readRange(fd, start, pos);
    const i = chunk.lastIndexOf(0x0a);
    parts.unshift(i >= 0 ? chunk.subarray(i + 1) : chunk);
    total += chunk.length;
    if (i >= 0) break;
    if (total > MAX_LINE_BYTES) return { size, goodSize, lastLine: '' };
    pos = start;
  }
  return { size, goodSize, lastLine: Buffer.concat(parts).toString('utf8') };
}

/**
 * Copies bytes [from, to) of `fd` to `<file>.<label>-<time>` (0600, fsynced, directory fsynced),
 * then truncates `fd` to `from` and fsyncs it. Returns the path the bytes were moved to.
 */
function moveAsideAndTruncate(fd: number, file: string, label: string, from: number, to: number): string {
  const movedTo = `${file}.${label}-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  const out = openSync(movedTo, 'wx', 0o600);
  try {
    for (let pos = from; pos < to; pos += CHUNK) {
      const chunk = readRange(fd, pos, Math.min(to, pos + CHUNK));
      let off = 0;
      while (off < chunk.length) off += writeSync(out, chunk, off, chunk.length - off);
    }
    fsyncSync(out);
  } finally {
    closeSync(out);
  }
  fsyncDir(dirname(file));
  ftruncateSync(fd, from);
  fsyncSync(fd);
  return movedTo;
}

/** Copies torn bytes (after `scan.goodSize`) aside and truncates `fd` (opened for writing). */
export function recoverTornTail(fd: number, file: string, scan: TailScan): TornTail | null {
  if (scan.size === scan.goodSize) return null;
  const movedTo = moveAsideAndTruncate(fd, file, 'torn', scan.goodSize, scan.size);
  return { offset: scan.goodSize, bytes: scan.size - scan.goodSize, moved_to: movedTo };
}

export interface GarbageTail {
  /** byte offset where the garbage started (= the new file size) */
  readonly offset: number;
  readonly bytes: number;
  /** complete lines that did not parse as audit lines */
  readonly lines: number;
  readonly moved_to: string;
}

/** at most this much trailing garbage is moved aside at open; beyond it the open stops */
export const GARBAGE_MAX_BYTES = 4 * MAX_LINE_BYTES;
export const GARBAGE_MAX_LINES = 1000;

/** Start offset of the line ending just before `end` (end = offset after its newline). */
function lineStart(fd: number, end: number, floor: number): number {
  for (let pos = end - 1; pos > floor;) {
    const start = Math.max(floor, pos - CHUNK);
    const i = readRange(fd, start, pos).lastIndexOf(0x0a);
    if (i >= 0) return start + i + 1;
    pos = start;
  }
  return floor;
}

/**
 * Walks back over complete trailing lines for which `isLine` is false (garbage appended to the
 * log) until a good line; copies them aside to `<file>.garbage-<time>` (0600) and truncates.
 * Returns null when the last line is good. Throws `tooMuch()` past GARBAGE_MAX_* (the open
 * stops: that much is not an accident and must be looked at).
 */
export function peelGarbageTail(fd: number, file: string, goodSize: number, isLine: (text: string) => boolean, tooMuch: () => Error):
  { garbage: GarbageTail | null; size: number; lastLine: string | null } {
  let end = goodSize;
  let lines = 0;
  const floor = Math.max(0, goodSize - GARBAGE_MAX_BYTES - MAX_LINE_BYTES);
  let lastLine: string | null = null;
  while (end > 0) {
    const start = lineStart(fd, end, floor);
    if (end - 1 - start <= MAX_LINE_BYTES) {
      const text = readRange(fd, start, end - 1).toString('utf8');
      if (isLine(text)) { lastLine = text; break; }
    }
    lines += 1;
    end = start;
    if (goodSize - end > GARBAGE_MAX_BYTES || lines > GARBAGE_MAX_LINES || (end === floor && floor > 0)) throw tooMuch();
  }
  if (end === goodSize) return { garbage: null, size: goodSize, lastLine };
  const movedTo = moveAsideAndTruncate(fd, file, 'garbage', end, goodSize);
  return { garbage: { offset: end, bytes: goodSize - end, lines, moved_to: movedTo }, size: end, lastLine };
}
