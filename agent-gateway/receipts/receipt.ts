/**
 * Signed call receipts: Ed25519 over the canonical JSON (RFC 8785 JCS; approvals/canonical.ts
 * sorts keys by UTF-16 code unit and writes ES number and string forms, which is JCS for the
 * fields a receipt holds) of every field except `sig`. The key is a PEM private key from
 * PALISADE_RECEIPT_KEY or a file `receipt-key.pem` generated in the data dir (0600).
 * `kid` is the first 16 hex of sha256 over the public key's SPKI DER.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalJson } from '../approvals/canonical.ts';

export const RECEIPT_FIELDS = [
  'v', 'call_id', 'agent_id', 'chain', 'tool', 'args_sha256', 'result_sha256', 'decision', 'rule_id', 'policy_version', 'ts', 'kid', 'sig',
] as const;

export interface Receipt {
  readonly v: 1;
  readonly call_id: string;
  readonly agent_id: string;
  readonly chain: readonly string[];
  readonly tool: string;
  readonly args_sha256: string;
  readonly result_sha256: string;
  readonly decision: 'allow' | 'require_approval';
  readonly rule_id: string;
  readonly policy_version: string;
  readonly ts: string;
  readonly kid: string;
  readonly sig: string;
}

export type UnsignedReceipt = Omit<Receipt, 'kid' | 'sig'>;

export interface ReceiptSigner {
  readonly kid: string;
  readonly publicKeyPem: string;
  sign(fields: UnsignedReceipt): Receipt;
}

export function kidOf(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);
}

export function signerFromKey(privateKey: KeyObject): ReceiptSigner {
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error('the receipt key must be an Ed25519 private key');
  const pub = createPublicKey(privateKey);
  const kid = kidOf(pub);
  return {
    kid,
    publicKeyPem: String(pub.export({ type: 'spki', format: 'pem' })),
    sign(fields) {
      const body = { ...fields, chain: [...fields.chain], kid };
      const sig = sign(null, Buffer.from(canonicalJson(body), 'utf8'), privateKey).toString('base64url');
      return { ...body, sig };
    },
  };
}

/** PALISADE_RECEIPT_KEY (PEM) when given, else `<dataDir>/receipt-key.pem`, generated once (0600). */
export function loadReceiptSigner(dataDir: string, pem?: string): ReceiptSigner {
  if (pem !== undefined && pem.trim() !== '') return signerFromKey(createPrivateKey(pem));
  const file = join(dataDir, 'receipt-key.pem');
  if (!existsSync(file)) {
    const { privateKey } = generateKeyPairSync('ed25519');
    writeFileSync(file, String(privateKey.export({ type: 'pkcs8', format: 'pem' })), { mode: 0o600, flag: 'wx' });
  }
  chmodSync(file, 0o600);
  return signerFromKey(createPrivateKey(readFileSync(file, 'utf8')));
}

export function sha256Json(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value), 'utf8').digest('hex');
}

export type VerifyResult = { ok: true } | { ok: false; field: string; message: string };

const HEX64 = /^[0-9a-f]{64}$/;

/**
 * Checks one receipt against a public key (PEM). Shape problems name their field; a kid that is
 * not the key's names `kid`; a valid shape whose signature fails names `sig` (an edited signed
 * field and an edited signature cannot be told apart by the signature alone: receipts/diagnose.ts
 * names the edited field when a reference value restores the signature).
 */
export function verifyReceipt(receipt: unknown, publicKeyPem: string): VerifyResult {
  if (receipt === null || typeof receipt !== 'object' || Array.isArray(receipt)) return { ok: false, field: '', message: 'not an object' };
  const r = receipt as Record<string, unknown>;
  for (const k of Object.keys(r)) if (!(RECEIPT_FIELDS as readonly string[]).includes(k)) return { ok: false, field: k, message: 'unknown field' };
  for (const k of RECEIPT_FIELDS) if (!(k in r)) return { ok: false, field: k, message: 'missing' };
  if (r['v'] !== 1) return { ok: false, field: 'v', message: 'must be 1' };
  for (const k of ['call_id', 'agent_id', 'tool', 'rule_id', 'ts', 'kid', 'sig'] as const) {
    if (typeof r[k] !== 'string' || r[k] === '') return { ok: false, field: k, message: 'must be a non-empty string' };
  }
  if (!Array.isArray(r['chain']) || !r['chain'].every((x) => typeof x === 'string')) return { ok: false, field: 'chain', message: 'must be a list of agent ids' };
  for (const k of ['args_sha256', 'result_sha256', 'policy_version'] as const) {
    if (typeof r[k] !== 'string' || !HEX64.test(r[k])) return { ok: false, field: k, message: 'must be 64 lowercase hex' };
  }
  if (r['decision'] !== 'allow' && r['decision'] !== 'require_approval') return { ok: false, field: 'decision', message: 'must be allow or require_approval' };
  if (Number.isNaN(Date.parse(String(r['ts'])))) return { ok: false, field: 'ts', message: 'must be an ISO date' };
  let key: KeyObject;
  try {
    key = createPublicKey(publicKeyPem);
  } catch {
    return { ok: false, field: 'key', message: 'the public key is not a PEM key' };
  }
  if (kidOf(key) !== r['kid']) return { ok: false, field: 'kid', message: `signed by key ${String(r['kid'])}, not by this key (${kidOf(key)})` };
  return signatureHolds(r, key) ? { ok: true } : { ok: false, field: 'sig', message: 'the signature does not match the signed fields (a field or the signature was changed)' };
}

/** The Ed25519 check alone: `sig` over the canonical JSON of every other field (no shape checks). */
export function signatureHolds(r: Readonly<Record<string, unknown>>, key: KeyObject): boolean {
  const { sig, ...rest } = r;
  try {
    return verify(null, Buffer.from(canonicalJson(rest), 'utf8'), key, Buffer.from(String(sig), 'base64url'));
  } catch {
    return false; // a value canonical JSON cannot write (a restored candidate) verifies nothing
  }
}
