/** Policy rules document: the shape accepted by PUT /admin/policy after validation. */
import type { JsonValue } from '../../sandbox/json.ts';

export type Effect = 'allow' | 'deny' | 'require_approval';

/** One argument predicate on a top-level key of the call's args. */
export type Predicate =
  | { readonly kind: 'equals'; readonly arg: string; readonly equals: JsonValue }
  | { readonly kind: 'prefix'; readonly arg: string; readonly prefix: string }
  | { readonly kind: 'regex'; readonly arg: string; readonly regex: string }
  | { readonly kind: 'range'; readonly arg: string; readonly min?: number; readonly max?: number };

export interface PolicyRule {
  readonly id: string;
  readonly effect: Effect;
  readonly agents: readonly string[];
  readonly tools: readonly string[];
  /** all predicates must hold; empty = no argument condition */
  readonly when: readonly Predicate[];
}

export interface PolicyDoc {
  readonly rules: readonly PolicyRule[];
}

export interface ValidationIssue {
  readonly instancePath: string;
  readonly message: string;
}

export const EMPTY_POLICY: PolicyDoc = Object.freeze({ rules: Object.freeze([]) });
