/**
 * Ed25519-signed checkpoints `{v:1, seq, head, ts, sig}`: `head` is the sha256 hex of line
 * `seq`'s exact bytes, so a checkpoint pins the whole chain up to `seq`. Pure functions.
 */
import { sign, verify, type KeyObject } from 'node:crypto';

export interface Checkpoint {
  readonly v: 1;
  readonly seq: number;
  readonly head: string;
  readonly ts: string;
  readonly sig: string;
}

function message(seq: number, head: string, ts: string): Buffer {
  return Buffer.from(`palisade-audit-checkpoint-v1\n${seq}\n${head}\n${ts}`, 'utf8');
}

export function signCheckpoint(seq: number, head: string, ts: string, privateKey: KeyObject): Checkpoint {
  return { v: 1, seq, head, ts, sig: sign(null, message(seq, head, ts), privateKey).toString('base64') };
}

export function parseCheckpoint(text: string): Checkpoint | null {
  if (text.length > 4096) return null;
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch {
    return null;
  }
  if (o === null || typeof o !== 'object' || Array.isArray(o)) return null;
  const r = o as Record<string, unknown>;
  const { v, seq, head, ts, sig } = r;
  if (Object.keys(r).length !== 5 || v !== 1) return null;
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1) return null;
  if (typeof head !== 'string' || !/^[0-9a-f]{64}$/.test(head)) return null;
  if (typeof ts !== 'string' || ts.length > 40 || typeof sig !== 'string' || !/^[A-Za-z0-9+/]{86}==$/.test(sig)) return null;
  return { v: 1, seq, head, ts, sig };
}

export function checkpointSignatureValid(cp: Checkpoint, publicKey: KeyObject): boolean {
  try {
    return verify(null, message(cp.seq, cp.head, cp.ts), publicKey, Buffer.from(cp.sig, 'base64'));
  } catch {
    return false;
  }
}
