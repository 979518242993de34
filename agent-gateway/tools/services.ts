/** What the tool pipeline needs, built once by gateway.ts. */
import type { ApprovalConfigStore } from '../approvals/config.ts';
import type { CallStore } from '../approvals/calls.ts';
import type { ApprovalEvents } from '../approvals/events.ts';
import type { ApprovalStore } from '../approvals/store.ts';
import type { EventSink } from '../events.ts';
import type { GovernanceState } from '../governance/state.ts';
import type { ReceiptSigner } from '../receipts/receipt.ts';
import type { AgentCircuitBreaker } from '../policy/circuit-breaker.ts';
import type { KillSwitchStore } from '../policy/kill-switch.ts';
import type { AgentRateLimiter } from '../policy/rate-limit.ts';
import type { PolicyStore } from '../policy/store.ts';
import type { ToolDispatcher } from './dispatch.ts';
import type { ToolRegistry } from './registry.ts';

/** Hooks for metrics; every method must be cheap and must not throw. */
export interface PipelineObserver {
  callFinished(tool: string, outcome: string, backend: string, seconds: number): void;
  /** a call refused before it ran; `step` names the pipeline step */
  callRefused(tool: string, step: string): void;
  callPending(tool: string): void;
  validationError(tool: string): void;
  decision(effect: string): void;
  rateLimited(route: string): void;
  /** a call was refused because the approval queue is at its cap (the alert hook) */
  approvalQueueFull?(scope: 'global' | 'agent'): void;
  /** a stored approval no longer matches its digest (edited at rest): the alert hook */
  approvalTampered?(approvalId: string): void;
}

export const NO_OBSERVER: PipelineObserver = {
  callFinished: () => {},
  callRefused: () => {},
  callPending: () => {},
  validationError: () => {},
  decision: () => {},
  rateLimited: () => {},
  approvalQueueFull: () => {},
};

/** Caps of the approval queue and how long approve waits for the tool (config.approvals). */
export interface ApprovalLimits {
  /** pending items in total; past it a new call needing approval gets 429 */
  readonly queueMax: number;
  /** pending items per agent */
  readonly queuePerAgent: number;
  /** how long POST /approvals/:id/approve waits for the result before answering 202 running */
  readonly approveWaitMs: number;
}

export const DEFAULT_APPROVAL_LIMITS: ApprovalLimits = Object.freeze({ queueMax: 1_000, queuePerAgent: 100, approveWaitMs: 2_000 });

export interface ToolServices {
  readonly registry: ToolRegistry;
  readonly dispatcher: ToolDispatcher;
  readonly calls: CallStore;
  readonly approvals: ApprovalStore;
  readonly approvalConfig: ApprovalConfigStore;
  readonly approvalEvents: ApprovalEvents;
  readonly policy: PolicyStore;
  readonly killSwitch: KillSwitchStore;
  readonly rateLimiter: AgentRateLimiter;
  readonly breaker: AgentCircuitBreaker;
  readonly events: EventSink;
  readonly observer: PipelineObserver;
  readonly outputBytes: number;
  readonly now: () => number;
  readonly approvalLimits: ApprovalLimits;
  /** signs the receipt of every finished ok call (absent: no receipts) */
  readonly receipts?: ReceiptSigner;
  /** session state (taint, cumulative risk) per principal, sqlite-persisted */
  readonly governance: GovernanceState;
  /** the agent's delegation ancestors, root first ([] for an agent an admin created) */
  readonly chainOf: (agentId: string) => readonly string[];
  /** the agent's current tool scope, or undefined when it no longer exists (deleted or expired) */
  readonly agentScope: (agentId: string) => readonly string[] | undefined;
  /** calls still running after approve answered 202; awaited by close() */
  readonly background: Set<Promise<unknown>>;
  /** where background failures are reported (never thrown) */
  readonly onBackgroundError: (error: unknown) => void;
}
