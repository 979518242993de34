/**
 * Reading the log: streams complete lines (a torn final segment is ignored), filters, and
 * decrypts into entries in seq order. Also the file-level verify wrapper.
 */
import type { KeyObject } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { AuditError } from './errors.ts';
import { auditLogFile, checkpointFile } from './files.ts';
import { decryptLine, MAX_LINE_BYTES, parseLine } from './line.ts';
import { decodePayload, type AuditEntry } from './payload.ts';
import type { HeadStore } from './head.ts';
import type { SubjectKeyStore } from './subjects.ts';
import type { TornTail } from './tail.ts';
import { verifyAudit, type VerifyResult } from './verify.ts';

export interface ReadSource {
  readonly dataDir: string;
  readonly keys: ReadonlyMap<string, Buffer>;
  readonly subjects: SubjectKeyStore | null;
  /** with a live writer: bytes of fsynced lines; lines beyond are not read (not yet durable) */
  readonly durableSize?: () => number;
}

export interface ReadQuery {
  /** inclusive lower bound on ts, epoch ms */
  readonly since?: number;
  /** inclusive upper bound on ts, epoch ms */
  readonly until?: number;
  /** event type: exact, or a prefix ending in `.` segments (`auth` matches `auth.login`) */
  readonly event?: string;
  readonly actor?: string;
  /** only entries with seq > after_seq (resume cursor for pulling collectors) */
  readonly after_seq?: number;
  /** 1..10000 */
  readonly limit: number;
}

export const MAX_READ_LIMIT = 10_000;

/** Yields each complete line (without newline) and the byte offset just after it. */
export async function* completeLines(file: string, start = 0): AsyncGenerator<{ text: string; end: number }> {
  if (!existsSync(file)) return;
  let rest: Buffer = Buffer.alloc(0);
  let base = start; // file offset of rest[0]
  for await (const chunk of createReadStream(file, { start, highWaterMark: 256 * 1024 })) {
    const buf = rest.length === 0 ? (chunk as Buffer) : Buffer.concat([rest, chunk as Buffer]);
    let from = 0;
    for (let nl = buf.indexOf(0x0a); nl >= 0; nl = buf.indexOf(0x0a, from)) {
      yield { text: buf.subarray(from, nl).toString('utf8'), end: base + nl + 1 };
      from = nl + 1;
    }
    rest = buf.subarray(from);
    base += from;
    if (rest.length > MAX_LINE_BYTES) throw new AuditError('AUDIT_ERR_UNREADABLE', `a line at byte ${base} exceeds ${MAX_LINE_BYTES} bytes`);
  }
}

/** Decrypts one line into an entry; throws AUDIT_ERR_WRONG_KEY / AUDIT_ERR_UNREADABLE. */
export function decryptEntry(text: string, keys: ReadonlyMap<string, Buffer>, subjects: SubjectKeyStore | null, position: number): AuditEntry {
  const parsed = parseLine(text);
  if (!parsed.ok) throw new AuditError('AUDIT_ERR_UNREADABLE', `line ${position}: ${parsed.reason}`);
  const dec = decryptLine(parsed.line, keys);
  if (!dec.ok) {
    if (dec.reason === 'unknown_kid') throw new AuditError('AUDIT_ERR_WRONG_KEY', `(no key for kid ${parsed.line.kid})`);
    throw new AuditError('AUDIT_ERR_UNREADABLE', `seq ${parsed.line.seq} does not decrypt (wrong key for kid ${parsed.line.kid}, or edited); run verify`);
  }
  const entry = decodePayload(parsed.line.seq, parsed.line.ts, dec.payload, subjects);
  if (entry === null) throw new AuditError('AUDIT_ERR_UNREADABLE', `seq ${parsed.line.seq} has a malformed payload`);
  return entry;
}

function matches(e: AuditEntry, q: ReadQuery): boolean {
  if (q.event !== undefined && e.type !== q.event && !e.type.startsWith(`${q.event}.`)) return false;
  if (q.actor !== undefined && e.actor !== q.actor) return false;
  return true;
}

export async function readEntries(source: ReadSource, q: ReadQuery): Promise<AuditEntry[]> {
  return (await readEntriesFrom(source, q)).entries;
}

/** A resume point: byte offset of the line after `seq` (only a hint, validated on use). */
export interface ReadPosition {
  readonly seq: number;
  readonly offset: number;
}

/**
 * Like readEntries, and returns the position after the last entry returned. Given a `from`
 * position with `from.seq === q.after_seq`, reading starts at its offset instead of the
 * start of the file (falls back to a full scan if the hint does not land on that line).
 */
export async function readEntriesFrom(source: ReadSource, q: ReadQuery, from?: ReadPosition): Promise<{ entries: AuditEntry[]; position: ReadPosition | null }> {
  const limit = Math.max(1, Math.min(MAX_READ_LIMIT, Math.trunc(q.limit)));
  const useHint = from !== undefined && q.after_seq === from.seq && from.offset > 0;
  const entries: AuditEntry[] = [];
  const kidsOk = new Set<string>();
  let position: ReadPosition | null = null;
  let index = useHint ? from.seq : 0;
  let first = true;
  const durable = source.durableSize?.();
  for await (const { text, end } of completeLines(auditLogFile(source.dataDir), useHint ? from.offset : 0)) {
    if (durable !== undefined && end > durable) break;
    const parsed = parseLine(text);
    // seq = position in a gapless log; after a recorded truncation the writer skips the lost seqs
    index = parsed.ok ? parsed.line.seq : index + 1;
    if (first && useHint && (!parsed.ok || parsed.line.seq <= from.seq)) {
      return readEntriesFrom(source, q); // stale hint: scan from the start
    }
    first = false;
    if (q.after_seq !== undefined && index <= q.after_seq) continue;
    if (parsed.ok) {
      const t = Date.parse(parsed.line.ts);
      if (q.since !== undefined && t < q.since) continue;
      if (q.until !== undefined && t > q.until) continue;
      if (q.after_seq !== undefined && parsed.line.seq <= q.after_seq) continue;
    }
    let entry: AuditEntry;
    try {
      entry = decryptEntry(text, source.keys, source.subjects, index);
    } catch (error) {
      // nothing under this kid has decrypted yet: a wrong key is far likelier than an edit
      if (parsed.ok && !kidsOk.has(parsed.line.kid) && error instanceof AuditError && error.code === 'AUDIT_ERR_UNREADABLE') {
        throw new AuditError('AUDIT_ERR_WRONG_KEY', `(kid ${parsed.line.kid})`);
      }
      throw error;
    }
    if (parsed.ok) kidsOk.add(parsed.line.kid);
    if (!matches(entry, q)) continue;
    entries.push(entry);
    position = { seq: entry.seq, offset: end };
    if (entries.length >= limit) break;
  }
  return { entries, position };
}

export interface LiveLogView {
  /** torn bytes recovered at open */
  readonly tornTail: TornTail | null;
  /** bytes of complete, fsynced lines right now */
  durableSize(): number;
}

/**
 * Verifies the files, against the sqlite head and incidents when a head store is given.
 * Checkpoints are read before the log so every checkpoint refers to lines already on disk; with a live writer, only its durable bytes are checked, so a batch
 * being written concurrently is neither a torn tail nor tampering.
 */
export async function verifyAuditLog(
  dataDir: string, keys: ReadonlyMap<string, Buffer>, publicKey: KeyObject, live?: LiveLogView, headStore?: HeadStore | null,
): Promise<VerifyResult> {
  const read = async (f: string): Promise<Buffer> => (existsSync(f) ? readFile(f) : Buffer.alloc(0));
  const checkpoints = await read(checkpointFile(dataDir));
  // the head before the durable size, in the same tick: the writer sets both together after
  // each fsync, so the head never names a seq beyond the bytes read below
  const head = headStore?.get() ?? null;
  const incidents = headStore?.incidents() ?? [];
  const limit = live?.durableSize();
  const whole = await read(auditLogFile(dataDir));
  const log = limit === undefined ? whole : whole.subarray(0, Math.min(limit, whole.length));
  const result = verifyAudit({ log, checkpoints, keys, publicKey, head, incidents });
  const recovered = live?.tornTail;
  if (result.torn_tail === undefined && recovered != null) return { ...result, torn_tail: recovered };
  return result;
}
