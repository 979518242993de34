/**
 * Delegation (issue 14.5): may this agent issue a child token with these tools and this TTL?
 * Pure: the caller supplies the parent as a token lookup sees it now and the clock.
 *
 *   scope — every child entry must be covered by some parent entry: every tool name the child
 *           entry can match is matched by that parent entry. Decided only where it is certain:
 *           an exact child name matched by a parent glob, an identical glob, or a child glob
 *           whose literal start lies under a parent prefix glob (`fs.read*` under `fs.*`, any
 *           child under `*`). Anything else (wider, or not provably narrower) → 403
 *           GW_ERR_DELEGATION_SCOPE naming the entries.
 *   ttl   — the child must expire no later than the parent: a longer TTL is refused, not
 *           clamped (403 GW_ERR_DELEGATION_TTL with `max_ttl_seconds`), so a child never holds
 *           a token shorter than it asked for without knowing.
 *   depth — the child's chain (its ancestors) may hold at most DELEGATION_MAX_DEPTH ids; deeper
 *           → 403 GW_ERR_DELEGATION_DEPTH.
 * A child is itself an agent with a scope, so it can never delegate wider than itself.
 */
import { hasWildcard, isValidGlob, matchGlob } from '../glob.ts';

export const DELEGATION_MAX_DEPTH = 4;

export interface DelegationParent {
  readonly agentId: string;
  readonly tools: readonly string[];
  readonly expiresAt: number;
  /** the parent's ancestors, root first */
  readonly chain: readonly string[];
}

export type DelegationDecision =
  | { readonly ok: true; readonly expiresAt: number; readonly chain: readonly string[] }
  | { readonly ok: false; readonly code: 'GW_ERR_DELEGATION_SCOPE'; readonly wider: readonly string[] }
  | { readonly ok: false; readonly code: 'GW_ERR_DELEGATION_TTL'; readonly maxTtlSeconds: number }
  | { readonly ok: false; readonly code: 'GW_ERR_DELEGATION_DEPTH'; readonly maxDepth: number };

/** True only when every name `child` can match is certainly matched by `parent`. */
export function globCovers(parent: string, child: string): boolean {
  if (!isValidGlob(parent) || !isValidGlob(child)) return false;
  if (!hasWildcard(child)) return matchGlob(parent, child);
  if (parent === child) return true;
  // a parent prefix glob: a literal prefix and one trailing `*`
  if (parent.indexOf('*') !== parent.length - 1) return false;
  const prefix = parent.slice(0, -1);
  if (hasWildcard(prefix)) return false;
  // the child's first prefix.length characters are that same literal text (no wildcard in them)
  return child.startsWith(prefix);
}

/** The child entries no parent entry covers (empty: the child scope is a subset). */
export function widerEntries(parentScope: readonly string[], childScope: readonly string[]): string[] {
  return childScope.filter((c) => !parentScope.some((p) => globCovers(p, c)));
}

export function decideDelegation(parent: DelegationParent, request: { tools: readonly string[]; ttlSeconds: number }, now: number): DelegationDecision {
  const chain = [...parent.chain, parent.agentId];
  if (chain.length > DELEGATION_MAX_DEPTH) return { ok: false, code: 'GW_ERR_DELEGATION_DEPTH', maxDepth: DELEGATION_MAX_DEPTH };
  const wider = widerEntries(parent.tools, request.tools);
  if (wider.length > 0) return { ok: false, code: 'GW_ERR_DELEGATION_SCOPE', wider };
  const expiresAt = now + request.ttlSeconds * 1000;
  if (!Number.isSafeInteger(request.ttlSeconds) || request.ttlSeconds <= 0 || expiresAt > parent.expiresAt) {
    return { ok: false, code: 'GW_ERR_DELEGATION_TTL', maxTtlSeconds: Math.max(0, Math.floor((parent.expiresAt - now) / 1000)) };
  }
  return { ok: true, expiresAt, chain };
}
