/**
 * The policy version recorded with every decision: sha256 hex of the canonical JSON of the
 * document as stored (policyToJson), so the same rules always give the same version and any
 * change gives another. Cached per frozen document object.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../approvals/canonical.ts';
import type { PolicyDoc } from './types.ts';
import { policyToJson } from './validate.ts';

const cache = new WeakMap<PolicyDoc, string>();

export function policyHash(doc: PolicyDoc): string {
  let h = cache.get(doc);
  if (h === undefined) {
    h = createHash('sha256').update(canonicalJson(policyToJson(doc)), 'utf8').digest('hex');
    cache.set(doc, h);
  }
  return h;
}
