/**
 * Reading the log: streams complete lines (a torn final segment is ignored), filters, and
 * decrypts into entries in seq order. Also the file-level verify wrapper.
 */
import type { KeyObject } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { AuditError } from './errors.ts';
import { auditLogFile, checkpointFile } from './files.ts';
import { decryptLine, parseLine } from './line.ts';
import { decodePayload, type AuditEntry } from './payload.ts';
import type { SubjectKeyStore } from './subjects.ts';
import type { TornTail } from './tail.ts';
import { verifyAudit, type VerifyResult } from './verify.ts';

export interface ReadSource {
  readonly dataDir: string;
  readonly keys: ReadonlyMap<string, Buffer>;
  readonly subjects: SubjectKeyStore | null;
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

/** Yields each complete line (without newline) with its seq position. */
export async function* completeLines(file: string): AsyncGenerator<string> {
  if (!existsSync(file)) return;
  let rest = '';
  for await (const chunk of createReadStream(file, { encoding: 'utf8', highWaterMark: 256 * 1024 })) {
    const parts = (rest + (chunk as string)).split('\n');
    rest = parts.pop() ?? '';
    yield* parts;
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
  const limit = Math.max(1, Math.min(MAX_READ_LIMIT, Math.trunc(q.limit)));
  const out: AuditEntry[] = [];
  const kidsOk = new Set<string>();
  let position = 0;
  for await (const text of completeLines(auditLogFile(source.dataDir))) {
    position += 1;
    if (q.after_seq !== undefined && position <= q.after_seq) continue; // seq = position in a valid log
    const parsed = parseLine(text);
    if (parsed.ok) {
      const t = Date.parse(parsed.line.ts);
      if (q.since !== undefined && t < q.since) continue;
      if (q.until !== undefined && t > q.until) continue;
      if (q.after_seq !== undefined && parsed.line.seq <= q.after_seq) continue;
    }
    let entry: AuditEntry;
    try {
      entry = decryptEntry(text, source.keys, source.subjects, position);
    } catch (error) {
      // nothing under this kid has decrypted yet: a wrong key is far likelier than an edit
      if (parsed.ok && !kidsOk.has(parsed.line.kid) && error instanceof AuditError && error.code === 'AUDIT_ERR_UNREADABLE') {
        throw new AuditError('AUDIT_ERR_WRONG_KEY', `(kid ${parsed.line.kid})`);
      }
      throw error;
    }
    if (parsed.ok) kidsOk.add(parsed.line.kid);
    if (!matches(entry, q)) continue;
    out.push(entry);
    if (out.length >= limit) break;
  }
  return out;
}

export async function verifyAuditLog(dataDir: string, keys: ReadonlyMap<string, Buffer>, publicKey: KeyObject, recovered?: TornTail | null): Promise<VerifyResult> {
  const read = async (f: string): Promise<Buffer> => (existsSync(f) ? readFile(f) : Buffer.alloc(0));
  const result = verifyAudit({ log: await read(auditLogFile(dataDir)), checkpoints: await read(checkpointFile(dataDir)), keys, publicKey });
  if (result.torn_tail === undefined && recovered != null) return { ...result, torn_tail: recovered };
  return result;
}
