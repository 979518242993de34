/**
 * Verification of the audit log over its file contents and keys (pure). Checks, line by line:
 * shape, seq = previous + 1 (deletions, reordering), prev = sha256 of the previous line
 * (edits, insertions), the AES-GCM tag under the line's kid (edits), then every checkpoint:
 * Ed25519 signature, seq not beyond the end (truncation) and head = hash of that line.
 * Reports the first bad seq. A kid whose lines never decrypt is reported as a wrong key,
 * not as tampering. A torn final line (no newline) is reported, not counted as tampering.
 */
import type { KeyObject } from 'node:crypto';
import { checkpointSignatureValid, parseCheckpoint, type Checkpoint } from './checkpoint.ts';
import { decryptLine, GENESIS_PREV, parseLine, sha256Hex } from './line.ts';

export type VerifyReason =
  | 'malformed_line' | 'seq_mismatch' | 'chain_mismatch' | 'tag_mismatch' | 'wrong_key'
  | 'truncated' | 'checkpoint_head_mismatch' | 'checkpoint_bad_signature' | 'checkpoint_malformed';

export interface VerifyResult {
  readonly ok: boolean;
  /** lines verified before the first bad one */
  readonly entries: number;
  readonly first_bad_seq?: number;
  readonly reason?: VerifyReason;
  readonly code?: 'AUDIT_ERR_WRONG_KEY' | 'AUDIT_ERR_TAMPERED';
  readonly message?: string;
  readonly last_checkpoint: { seq: number; ts: string } | null;
  readonly torn_tail?: { offset: number; bytes: number; moved_to?: string };
}

export interface VerifyInput {
  readonly log: Buffer;
  readonly checkpoints: Buffer;
  readonly keys: ReadonlyMap<string, Buffer>;
  /** the checkpoint public key; pin one kept outside the data dir when you can */
  readonly publicKey: KeyObject;
}

interface Bad { seq: number; reason: VerifyReason; message: string }

function splitLines(buf: Buffer): { lines: string[]; torn: { offset: number; bytes: number } | null } {
  const end = buf.lastIndexOf(0x0a) + 1;
  const text = buf.subarray(0, end).toString('utf8');
  const lines = text.length === 0 ? [] : text.slice(0, -1).split('\n');
  return { lines, torn: end < buf.length ? { offset: end, bytes: buf.length - end } : null };
}

export function verifyAudit(input: VerifyInput): VerifyResult {
  const { lines, torn } = splitLines(input.log);
  const cpLines = splitLines(input.checkpoints).lines;
  const checkpoints: Checkpoint[] = [];
  let bad: Bad | null = null;
  const worse = (b: Bad): void => { if (bad === null || b.seq < bad.seq) bad = b; };
  cpLines.forEach((text, i) => {
    const cp = parseCheckpoint(text);
    if (cp === null) worse({ seq: Number.MAX_SAFE_INTEGER, reason: 'checkpoint_malformed', message: `checkpoint line ${i + 1} is malformed` });
    else if (!checkpointSignatureValid(cp, input.publicKey)) worse({ seq: cp.seq, reason: 'checkpoint_bad_signature', message: `checkpoint for seq ${cp.seq} has a bad signature` });
    else checkpoints.push(cp);
  });
  const wanted = new Set(checkpoints.map((c) => c.seq));
  const heads = new Map<number, string>();
  const kidOk = new Map<string, number>();
  let tagFail: { seq: number; kid: string } | null = null;
  let prev = GENESIS_PREV;
  let verified = 0;
  for (let i = 0; i < lines.length; i += 1) {
    const expected = i + 1;
    const text = lines[i] as string;
    const parsed = parseLine(text);
    if (!parsed.ok) { worse({ seq: expected, reason: 'malformed_line', message: `line ${expected}: ${parsed.reason}` }); break; }
    const line = parsed.line;
    if (line.seq !== expected) { worse({ seq: expected, reason: 'seq_mismatch', message: `expected seq ${expected}, found ${line.seq}` }); break; }
    if (line.prev !== prev) { worse({ seq: expected, reason: 'chain_mismatch', message: `seq ${expected} does not chain to the previous line` }); break; }
    prev = sha256Hex(text);
    if (wanted.has(expected)) heads.set(expected, prev);
    const dec = decryptLine(line, input.keys);
    if (dec.ok) {
      kidOk.set(line.kid, (kidOk.get(line.kid) ?? 0) + 1);
      if (tagFail === null) verified = expected;
    } else if (dec.reason === 'unknown_kid') {
      worse({ seq: expected, reason: 'wrong_key', message: `no audit key for kid ${line.kid}` });
      break;
    } else if (tagFail === null) {
      tagFail = { seq: expected, kid: line.kid };
    }
  }
  const chainEnd = bad === null ? lines.length : (bad as Bad).seq - 1;
  if (tagFail !== null) {
    const tf: { seq: number; kid: string } = tagFail;
    worse((kidOk.get(tf.kid) ?? 0) === 0
      ? { seq: tf.seq, reason: 'wrong_key', message: `the audit key does not decrypt this log (kid ${tf.kid})` }
      : { seq: tf.seq, reason: 'tag_mismatch', message: `seq ${tf.seq} failed authentication (edited)` });
  }
  let last: Checkpoint | null = null;
  for (const cp of checkpoints) {
    if (cp.seq > lines.length) worse({ seq: lines.length + 1, reason: 'truncated', message: `checkpoint covers seq ${cp.seq} but the log ends at ${lines.length}` });
    else if (cp.seq <= chainEnd && heads.get(cp.seq) !== cp.head) worse({ seq: cp.seq, reason: 'checkpoint_head_mismatch', message: `line ${cp.seq} differs from its checkpoint` });
    if (last === null || cp.seq >= last.seq) last = cp;
  }
  const tornField = torn === null ? {} : { torn_tail: torn };
  const lastCp = last === null ? null : { seq: last.seq, ts: last.ts };
  if (bad === null) return { ok: true, entries: lines.length, last_checkpoint: lastCp, ...tornField };
  const b: Bad = bad;
  const seqField = b.seq === Number.MAX_SAFE_INTEGER ? {} : { first_bad_seq: b.seq };
  return {
    ok: false, entries: Math.min(verified, Math.max(0, b.seq - 1)), ...seqField, reason: b.reason,
    code: b.reason === 'wrong_key' ? 'AUDIT_ERR_WRONG_KEY' : 'AUDIT_ERR_TAMPERED',
    message: b.message, last_checkpoint: lastCp, ...tornField,
  };
}
