/**
 * Verification of the audit log over its file contents and keys (pure). Checks, line by line:
 * shape, seq = previous + 1 (deletions, reordering), prev = sha256 of the previous line
 * (edits, insertions), the AES-GCM tag under the line's kid (edits), then every checkpoint:
 * Ed25519 signature, seq not beyond the end (truncation) and head = hash of that line.
 * Reports the first bad seq. A kid whose lines never decrypt is reported as a wrong key,
 * not as tampering. A torn final line (no newline) is reported, not counted as tampering.
 * Given the sqlite head (last committed seq + hash), a log that ends before it is reported as
 * truncated with the missing range, and a different line at that seq as head_mismatch; a
 * recorded truncation is crossed (the writer chained the next line to the head) and, with
 * every other recorded incident, fails verify until acknowledged.
 */
import type { KeyObject } from 'node:crypto';
import { checkpointSignatureValid, parseCheckpoint, type Checkpoint } from './checkpoint.ts';
import type { AuditHead, AuditIncident } from './head.ts';
import { decryptLine, GENESIS_PREV, parseLine, sha256Hex } from './line.ts';

export type VerifyReason =
  | 'malformed_line' | 'seq_mismatch' | 'chain_mismatch' | 'tag_mismatch' | 'wrong_key'
  | 'truncated' | 'checkpoint_head_mismatch' | 'checkpoint_bad_signature' | 'checkpoint_malformed'
  | 'head_mismatch' | 'garbage_tail';

export interface VerifyResult {
  readonly ok: boolean;
  /** lines verified before the first bad one */
  readonly entries: number;
  readonly first_bad_seq?: number;
  readonly reason?: VerifyReason;
  readonly code?: 'AUDIT_ERR_WRONG_KEY' | 'AUDIT_ERR_TAMPERED';
  readonly message?: string;
  /** reason 'truncated': the seqs that are gone (inclusive) */
  readonly missing?: { readonly from: number; readonly to: number };
  readonly last_checkpoint: { seq: number; ts: string } | null;
  readonly torn_tail?: { offset: number; bytes: number; moved_to?: string };
  /** the sqlite head the log was compared with */
  readonly head?: { seq: number };
  /** damage recorded at open (acknowledged ones no longer fail verify) */
  readonly incidents?: readonly AuditIncident[];
}

export interface VerifyInput {
  readonly log: Buffer;
  readonly checkpoints: Buffer;
  readonly keys: ReadonlyMap<string, Buffer>;
  /** the checkpoint public key; pin one kept outside the data dir when you can */
  readonly publicKey: KeyObject;
  /** the last committed seq + line hash from sqlite; null/absent when there is none */
  readonly head?: AuditHead | null;
  readonly incidents?: readonly AuditIncident[];
}

interface Bad { seq: number; reason: VerifyReason; message: string; missing?: { from: number; to: number } }

function splitLines(buf: Buffer): { lines: string[]; torn: { offset: number; bytes: number } | null } {
  const end = buf.lastIndexOf(0x0a) + 1;
  const text = buf.subarray(0, end).toString('utf8');
  const lines = text.length === 0 ? [] : text.slice(0, -1).split('\n');
  return { lines, torn: end < buf.length ? { offset: end, bytes: buf.length - end } : null };
}

const missingText = (from: number, to: number): string => (from === to ? `line ${from} is missing` : `lines ${from}..${to} are missing`);

export function verifyAudit(input: VerifyInput): VerifyResult {
  const { lines, torn } = splitLines(input.log);
  const cpLines = splitLines(input.checkpoints).lines;
  const head = input.head ?? null;
  const incidents = input.incidents ?? [];
  // recorded truncations: the writer continued the chain from the head, across the gap
  const gaps = incidents.filter((i) => i.reason === 'truncated' && i.anchor !== undefined);
  const checkpoints: Checkpoint[] = [];
  let bad: Bad | null = null;
  const worse = (b: Bad): void => {
    const cur: Bad | null = bad;
    if (cur !== null && b.seq === cur.seq && b.missing !== undefined && cur.missing !== undefined) {
      bad = { ...cur, missing: { from: cur.missing.from, to: Math.max(cur.missing.to, b.missing.to) } };
      bad.message = `${missingText(bad.missing!.from, bad.missing!.to)} (truncated)`;
    } else if (cur === null || b.seq < cur.seq) bad = b;
  };
  cpLines.forEach((text, i) => {
    const cp = parseCheckpoint(text);
    if (cp === null) worse({ seq: Number.MAX_SAFE_INTEGER, reason: 'checkpoint_malformed', message: `checkpoint line ${i + 1} is malformed` });
    else if (!checkpointSignatureValid(cp, input.publicKey)) worse({ seq: cp.seq, reason: 'checkpoint_bad_signature', message: `checkpoint for seq ${cp.seq} has a bad signature` });
    else checkpoints.push(cp);
  });
  const wanted = new Set(checkpoints.map((c) => c.seq));
  if (head !== null) wanted.add(head.seq);
  const heads = new Map<number, string>();
  const kidOk = new Map<string, number>();
  const crossed: AuditIncident[] = [];
  const okSeqs: number[] = [];
  let tagFail: { seq: number; kid: string } | null = null;
  let prev = GENESIS_PREV;
  let expected = 1;
  let lastSeq = 0;
  for (let i = 0; i < lines.length; i += 1) {
    const text = lines[i] as string;
    const parsed = parseLine(text);
    if (!parsed.ok) { worse({ seq: expected, reason: 'malformed_line', message: `line ${expected}: ${parsed.reason}` }); break; }
    const line = parsed.line;
    if (line.seq !== expected) {
      const gap = gaps.find((g) => g.from_seq === expected && g.to_seq + 1 === line.seq);
      if (gap === undefined) {
        // a jump forward means lines are gone (e.g. the file was cut while the writer kept appending)
        const missing = line.seq > expected ? { missing: { from: expected, to: line.seq - 1 } } : {};
        worse({ seq: expected, reason: 'seq_mismatch', message: `expected seq ${expected}, found ${line.seq}`, ...missing });
        break;
      }
      crossed.push(gap);
      prev = gap.anchor as string;
      expected = line.seq;
    }
    if (line.prev !== prev) { worse({ seq: expected, reason: 'chain_mismatch', message: `seq ${expected} does not chain to the previous line` }); break; }
    prev = sha256Hex(text);
    if (wanted.has(expected)) heads.set(expected, prev);
    lastSeq = expected;
    const dec = decryptLine(line, input.keys);
    if (dec.ok) {
      kidOk.set(line.kid, (kidOk.get(line.kid) ?? 0) + 1);
      if (tagFail === null) okSeqs.push(expected);
    } else if (dec.reason === 'unknown_kid') {
      worse({ seq: expected, reason: 'wrong_key', message: `no audit key for kid ${line.kid}` });
      break;
    } else if (tagFail === null) {
      tagFail = { seq: expected, kid: line.kid };
    }
    expected += 1;
  }
  const chainEnd = bad === null ? lastSeq : (bad as Bad).seq - 1;
  // where the file ends, even past a break in the chain: truncation is about the end, not the break
  const lastText = lines.at(-1);
  const lastParsed = lastText === undefined ? null : parseLine(lastText);
  const endSeq = lastParsed?.ok === true ? Math.max(lastSeq, lastParsed.line.seq) : lastSeq;
  if (tagFail !== null) {
    const tf: { seq: number; kid: string } = tagFail;
    worse((kidOk.get(tf.kid) ?? 0) === 0
      ? { seq: tf.seq, reason: 'wrong_key', message: `the audit key does not decrypt this log (kid ${tf.kid})` }
      : { seq: tf.seq, reason: 'tag_mismatch', message: `seq ${tf.seq} failed authentication (edited)` });
  }
  const inGap = (seq: number): boolean => crossed.some((g) => seq >= g.from_seq && seq <= g.to_seq);
  let last: Checkpoint | null = null;
  for (const cp of checkpoints) {
    if (cp.seq > endSeq) {
      worse({ seq: endSeq + 1, reason: 'truncated', missing: { from: endSeq + 1, to: cp.seq }, message: `checkpoint covers seq ${cp.seq} but the log ends at ${endSeq}` });
    } else if (cp.seq <= chainEnd && !inGap(cp.seq) && heads.get(cp.seq) !== cp.head) {
      worse({ seq: cp.seq, reason: 'checkpoint_head_mismatch', message: `line ${cp.seq} differs from its checkpoint` });
    }
    if (last === null || cp.seq >= last.seq) last = cp;
  }
  if (head !== null) {
    if (head.seq > endSeq) {
      worse({ seq: endSeq + 1, reason: 'truncated', missing: { from: endSeq + 1, to: head.seq }, message: `${missingText(endSeq + 1, head.seq)}: the log ends at seq ${endSeq} but its sqlite head is seq ${head.seq} (truncated)` });
    } else if (head.seq > 0 && head.seq <= chainEnd && !inGap(head.seq) && heads.get(head.seq) !== head.head) {
      worse({ seq: head.seq, reason: 'head_mismatch', message: `line ${head.seq} differs from the sqlite head (rewritten)` });
    }
  }
  for (const i of incidents) {
    if (i.acknowledged !== undefined) continue;
    if (i.reason === 'truncated') {
      worse({ seq: i.from_seq, reason: 'truncated', missing: { from: i.from_seq, to: i.to_seq }, message: `${missingText(i.from_seq, i.to_seq)} (truncation recorded at start, incident ${i.id})` });
    } else if (i.reason === 'garbage_tail') {
      worse({ seq: i.from_seq, reason: 'garbage_tail', message: `${String(i.detail['lines'] ?? '?')} line(s) that are not audit lines followed seq ${i.from_seq - 1} at start; moved aside to ${String(i.detail['moved_to'] ?? '?')} (incident ${i.id})` });
    } else {
      worse({ seq: i.from_seq, reason: 'head_mismatch', message: `line ${i.from_seq} differed from the sqlite head at start (incident ${i.id})` });
    }
  }
  const tornField = torn === null ? {} : { torn_tail: torn };
  const lastCp = last === null ? null : { seq: last.seq, ts: last.ts };
  const extra = { ...(head === null ? {} : { head: { seq: head.seq } }), ...(incidents.length === 0 ? {} : { incidents }) };
  if (bad === null) return { ok: true, entries: okSeqs.length, last_checkpoint: lastCp, ...tornField, ...extra };
  const b: Bad = bad;
  const seqField = b.seq === Number.MAX_SAFE_INTEGER ? {} : { first_bad_seq: b.seq };
  return {
    ok: false, entries: okSeqs.filter((q) => q < b.seq).length, ...seqField, reason: b.reason,
    code: b.reason === 'wrong_key' ? 'AUDIT_ERR_WRONG_KEY' : 'AUDIT_ERR_TAMPERED',
    message: b.message, ...(b.missing === undefined ? {} : { missing: b.missing }), last_checkpoint: lastCp, ...tornField, ...extra,
  };
}
