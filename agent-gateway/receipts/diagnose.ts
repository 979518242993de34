/**
 * Which field of a well-shaped receipt was edited? One signature covers every field, so the
 * signature alone can only say `sig` (receipt.ts). A field is named here only when putting
 * back a value taken from a REFERENCE makes the signature verify again: that is proof that
 * this field, and no other, differs from what the gateway signed (never a guess).
 *
 * References, each a partial set of receipt fields:
 *   - the gateway's stored receipt of the same call (GET /tools/calls/:id carries it);
 *   - what the enclosing call body or record says: call_id, tool, agent_id, and result_sha256
 *     recomputed from its `result`;
 *   - the other value of `decision` (allow ↔ require_approval: "it was approved" is the forgery
 *     worth catching offline).
 * Every single-field restoration is tried first (the smallest answer), then each reference
 * whole (several fields edited at once). Pure: no I/O.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { canonicalJson } from '../approvals/canonical.ts';
import { RECEIPT_FIELDS, sha256Json, signatureHolds } from './receipt.ts';

export type Reference = Readonly<Record<string, unknown>>;

export type Diagnosis =
  | { readonly found: true; readonly fields: readonly string[]; readonly signed: Readonly<Record<string, unknown>>; readonly source: string }
  | { readonly found: false };

/** Restorable fields: every field but `kid` (checked against the key before the signature). */
const RESTORABLE: readonly string[] = RECEIPT_FIELDS.filter((f) => f !== 'kid');

/** The receipt fields a call body or call record vouches for (GET /tools/calls/:id, POST /tools/call). */
export function referenceFromBody(body: unknown): Reference {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return {};
  const b = body as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of ['call_id', 'tool', 'agent_id'] as const) if (typeof b[k] === 'string') out[k] = b[k];
  if (b['status'] === 'ok' && Object.hasOwn(b, 'result')) out['result_sha256'] = sha256Json(b['result']);
  return out;
}

export function diagnoseReceipt(receipt: Readonly<Record<string, unknown>>, publicKeyPem: string,
  references: ReadonlyArray<{ readonly source: string; readonly fields: Reference }>): Diagnosis {
  let key: KeyObject;
  try {
    key = createPublicKey(publicKeyPem);
  } catch {
    return { found: false };
  }
  const same = (a: unknown, b: unknown): boolean => {
    try {
      return canonicalJson(a) === canonicalJson(b);
    } catch {
      return false;
    }
  };
  const all = [...references, { source: 'the other decision value', fields: { decision: receipt['decision'] === 'allow' ? 'require_approval' : 'allow' } }];
  for (const ref of all) {
    for (const f of RESTORABLE) {
      if (!Object.hasOwn(ref.fields, f) || same(ref.fields[f], receipt[f])) continue;
      if (signatureHolds({ ...receipt, [f]: ref.fields[f] }, key)) return { found: true, fields: [f], signed: { [f]: ref.fields[f] }, source: ref.source };
    }
  }
  for (const ref of references) {
    const differing = RESTORABLE.filter((f) => Object.hasOwn(ref.fields, f) && !same(ref.fields[f], receipt[f]));
    if (differing.length < 2) continue;
    const signed = Object.fromEntries(differing.map((f) => [f, ref.fields[f]]));
    if (signatureHolds({ ...receipt, ...signed }, key)) return { found: true, fields: differing, signed, source: ref.source };
  }
  return { found: false };
}
