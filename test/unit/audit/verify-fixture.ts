/**
 * Builds audit logs in memory for the pure verifier (agent-gateway/audit/verify.ts): real
 * AES-GCM lines from line.ts and real Ed25519 checkpoints from checkpoint.ts, so a test can
 * forge exactly one property (a wrong `prev` under a valid tag, a checkpoint over a wrong
 * head, a lost range) and check the reason and seq verify names.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { signCheckpoint } from '../../../agent-gateway/audit/checkpoint.ts';
import type { AuditHead, AuditIncident } from '../../../agent-gateway/audit/head.ts';
import { encodeLine, GENESIS_PREV, sha256Hex } from '../../../agent-gateway/audit/line.ts';
import { verifyAudit, type VerifyResult } from '../../../agent-gateway/audit/verify.ts';

export const KEY_A = Buffer.alloc(32, 0x11);
export const KEY_B = Buffer.alloc(32, 0x22);
export const KEY_X = Buffer.alloc(32, 0x33);

const signing = generateKeyPairSync('ed25519');
export const SIGNING_KEY: KeyObject = signing.privateKey;
export const PUBLIC_KEY: KeyObject = signing.publicKey;
export const OTHER_KEY = generateKeyPairSync('ed25519').privateKey;

export const tsOf = (seq: number): string => new Date(Date.UTC(2026, 11, 1, 0, 0, seq)).toISOString();

export interface LineSpec {
  readonly seq: number;
  readonly kid?: string;
  /** the key the line is encrypted with (default: the keyring's key for kid) */
  readonly key?: Buffer;
  /** override the chain link (default: the hash of the previous built line) */
  readonly prev?: string;
}

/** Encodes lines in order; each chains to the line built before it unless `prev` is given. */
export function buildLines(specs: readonly LineSpec[], keys: ReadonlyMap<string, Buffer> = defaultKeys()): string[] {
  const out: string[] = [];
  let prev = GENESIS_PREV;
  for (const s of specs) {
    const kid = s.kid ?? 'ka';
    const key = s.key ?? keys.get(kid) ?? KEY_X;
    const text = encodeLine(s.seq, tsOf(s.seq), kid, key, s.prev ?? prev, JSON.stringify({ type: 'auth.login', seq: s.seq }));
    out.push(text);
    prev = sha256Hex(text);
  }
  return out;
}

/** seqs 1..n under kid `ka` */
export const chain = (n: number): string[] => buildLines(Array.from({ length: n }, (_, i) => ({ seq: i + 1 })));

export function defaultKeys(): Map<string, Buffer> {
  return new Map([['ka', KEY_A], ['kb', KEY_B]]);
}

export const hashOf = (lines: readonly string[], seq: number): string => sha256Hex(lines[seq - 1] ?? '');

export function checkpointText(seq: number, head: string, key: KeyObject = signing.privateKey, ts = tsOf(1000 + seq)): string {
  return JSON.stringify(signCheckpoint(seq, head, ts, key));
}

export const toFile = (lines: readonly string[]): Buffer => Buffer.from(lines.map((l) => `${l}\n`).join(''), 'utf8');

export interface RunOpts {
  readonly checkpoints?: readonly string[];
  readonly keys?: ReadonlyMap<string, Buffer>;
  readonly head?: AuditHead | null;
  readonly incidents?: readonly AuditIncident[];
  /** bytes appended after the last newline (a torn write) */
  readonly tail?: string;
}

export function run(lines: readonly string[], o: RunOpts = {}): VerifyResult {
  const log = Buffer.concat([toFile(lines), Buffer.from(o.tail ?? '', 'utf8')]);
  return verifyAudit({
    log,
    checkpoints: toFile(o.checkpoints ?? []),
    keys: o.keys ?? defaultKeys(),
    publicKey: PUBLIC_KEY,
    ...(o.head === undefined ? {} : { head: o.head }),
    ...(o.incidents === undefined ? {} : { incidents: o.incidents }),
  });
}

export function incident(p: Partial<AuditIncident> & Pick<AuditIncident, 'reason' | 'from_seq' | 'to_seq'>): AuditIncident {
  return { id: 7, detected_at: '2026-12-02T00:00:00.000Z', detail: {}, ...p };
}
