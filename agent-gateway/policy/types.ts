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
  /** absent: any caller; else the rule matches only a delegated agent with an ancestor matching one glob */
  readonly delegated_from?: readonly string[];
}

/**
 * Session taint: once the principal ran a tool carrying an `on` tag, tools carrying a `block`
 * tag are denied for it until `window_seconds` have passed since that call.
 */
export interface TaintRule {
  readonly id: string;
  readonly on: readonly string[];
  readonly block: readonly string[];
  readonly window_seconds: number;
}

export type RiskLevel = 'low' | 'medium' | 'high' | 'critical';

/** Cumulative risk per principal over a sliding window of executed calls. */
export interface RiskPolicy {
  readonly scores: Readonly<Record<RiskLevel, number>>;
  readonly window_seconds: number;
  /** a projected score above it turns an allow into require_approval */
  readonly escalate_at: number;
  /** a projected score above it denies the call */
  readonly deny_at: number;
}

export interface PolicyDoc {
  readonly rules: readonly PolicyRule[];
  /** absent = [] (documents from before session rules keep their meaning) */
  readonly taint?: readonly TaintRule[];
  /** absent = no cumulative risk accounting */
  readonly risk?: RiskPolicy;
}

export interface ValidationIssue {
  readonly instancePath: string;
  readonly message: string;
}

export const EMPTY_POLICY: PolicyDoc = Object.freeze({ rules: Object.freeze([]) });
