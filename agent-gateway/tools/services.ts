/** What the tool pipeline needs, built once by gateway.ts. */
import type { ApprovalConfigStore } from '../approvals/config.ts';
import type { CallStore } from '../approvals/calls.ts';
import type { ApprovalEvents } from '../approvals/events.ts';
import type { ApprovalStore } from '../approvals/store.ts';
import type { EventSink } from '../events.ts';
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
}

export const NO_OBSERVER: PipelineObserver = {
  callFinished: () => {},
  callRefused: () => {},
  callPending: () => {},
  validationError: () => {},
  decision: () => {},
  rateLimited: () => {},
};

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
}
