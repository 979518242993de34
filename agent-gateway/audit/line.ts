/**
 * One audit line: `{v:1, seq, ts, kid, iv, ct, tag, prev}`. AES-256-GCM with a fresh random
 * 96-bit IV and a 16-byte tag; ct is the encrypted JSON payload; `prev` is the sha256 hex of
 * the previous line's exact bytes (without the newline), GENESIS_PREV for seq 1. seq, ts, kid
 * and prev are bound as additional authenticated data. Pure functions; lines read from disk
 * are hostile input and are shape-checked before any use.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { aesKey } from './aes-key.ts';

export const GENESIS_PREV = '0'.repeat(64);
/** a line longer than this is malformed (the writer caps payloads well below it) */
export const MAX_LINE_BYTES = 1024 * 1024;
export const MAX_PAYLOAD_BYTES = 256 * 1024;

export interface AuditLine {
  readonly v: 1;
  readonly seq: number;
  readonly ts: string;
  readonly kid: string;
  readonly iv: string;
  readonly ct: string;
  readonly tag: string;
  readonly prev: string;
}

const KID_RE = /^[A-Za-z0-9_-]{1,64}$/;
const HEX64_RE = /^[0-9a-f]{64}$/;
const B64_RE = /^[A-Za-z0-9+/]*={0,2}$/;
const TS_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const LINE_KEYS = ['v', 'seq', 'ts', 'kid', 'iv', 'ct', 'tag', 'prev'];

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

function aad(seq: number, ts: string, kid: string, prev: string): Buffer {
  return Buffer.from(`palisade-audit-v1\n${seq}\n${ts}\n${kid}\n${prev}`, 'utf8');
}

/** Encrypts `payload` (already-serialized JSON) into the exact line text (no newline). */
export function encodeLine(seq: number, ts: string, kid: string, key: Buffer, prev: string, payload: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', aesKey(key), iv, { authTagLength: 16 });
  cipher.setAAD(aad(seq, ts, kid, prev));
  const ct = Buffer.concat([cipher.update(payload, 'utf8'), cipher.final()]);
  const line: AuditLine = {
    v: 1, seq, ts, kid,
    iv: iv.toString('base64'), ct: ct.toString('base64'), tag: cipher.getAuthTag().toString('base64'), prev,
  };
  return JSON.stringify(line);
}

export type ParseLineResult = { ok: true; line: AuditLine } | { ok: false; reason: string };

/** Shape-checks one line of text (no newline). Does not decrypt. */
export function parseLine(text: string): ParseLineResult {
  if (text.length > MAX_LINE_BYTES) return { ok: false, reason: 'line too long' };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return { ok: false, reason: 'not an object' };
  const o = raw as Record<string, unknown>;
  const keys = Object.keys(o);
  if (keys.length !== LINE_KEYS.length || !LINE_KEYS.every((k) => Object.hasOwn(o, k))) return { ok: false, reason: 'wrong fields' };
  const { v, seq, ts, kid, iv, ct, tag, prev } = o;
  if (v !== 1) return { ok: false, reason: 'unknown version' };
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1) return { ok: false, reason: 'bad seq' };
  if (typeof ts !== 'string' || !TS_RE.test(ts) || Number.isNaN(Date.parse(ts))) return { ok: false, reason: 'bad ts' };
  if (typeof kid !== 'string' || !KID_RE.test(kid)) return { ok: false, reason: 'bad kid' };
  if (typeof iv !== 'string' || iv.length !== 16 || !B64_RE.test(iv)) return { ok: false, reason: 'bad iv' };
  if (typeof tag !== 'string' || tag.length !== 24 || !B64_RE.test(tag)) return { ok: false, reason: 'bad tag' };
  if (typeof ct !== 'string' || !B64_RE.test(ct)) return { ok: false, reason: 'bad ct' };
  if (typeof prev !== 'string' || !HEX64_RE.test(prev)) return { ok: false, reason: 'bad prev' };
  return { ok: true, line: { v: 1, seq, ts, kid, iv, ct, tag, prev } };
}

export type DecryptResult = { ok: true; payload: string } | { ok: false; reason: 'unknown_kid' | 'tag_mismatch' };

export function decryptLine(line: AuditLine, keys: ReadonlyMap<string, Buffer>): DecryptResult {
  const key = keys.get(line.kid);
  if (key === undefined) return { ok: false, reason: 'unknown_kid' };
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(line.iv, 'base64'), { authTagLength: 16 });
    decipher.setAAD(aad(line.seq, line.ts, line.kid, line.prev));
    decipher.setAuthTag(Buffer.from(line.tag, 'base64'));
    const pt = Buffer.concat([decipher.update(Buffer.from(line.ct, 'base64')), decipher.final()]);
    return { ok: true, payload: pt.toString('utf8') };
  } catch {
    return { ok: false, reason: 'tag_mismatch' };
  }
}
