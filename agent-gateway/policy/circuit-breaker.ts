/**
 * Per-agent circuit breaker: `threshold` denials within `windowMs` pause the agent for
 * `cooldownMs` (the gateway answers 403 GW_ERR_AGENT_PAUSED). `step` is pure; the
 * `AgentCircuitBreaker` wrapper keeps per-agent state with an injected clock.
 */
export interface BreakerConfig {
  readonly threshold: number;
  readonly windowMs: number;
  readonly cooldownMs: number;
}

export interface BreakerState {
  /** timestamps (ms) of denials inside the current window, oldest first */
  readonly denials: readonly number[];
  /** ms until which the agent is paused; 0 when not paused */
  readonly pausedUntil: number;
}

export type BreakerCheck =
  | { ok: true }
  | { ok: false; code: 'GW_ERR_AGENT_PAUSED'; pausedUntil: number; retryAfterSeconds: number };

export const CLOSED: BreakerState = Object.freeze({ denials: Object.freeze([]), pausedUntil: 0 });

export function checkBreaker(state: BreakerState, nowMs: number): BreakerCheck {
  if (state.pausedUntil > nowMs) {
    return { ok: false, code: 'GW_ERR_AGENT_PAUSED', pausedUntil: state.pausedUntil, retryAfterSeconds: Math.max(1, Math.ceil((state.pausedUntil - nowMs) / 1000)) };
  }
  return { ok: true };
}

/** Records one denial. `tripped` is true only on the denial that opens the breaker. */
export function recordDenial(state: BreakerState, nowMs: number, cfg: BreakerConfig): { state: BreakerState; tripped: boolean } {
  if (state.pausedUntil > nowMs) return { state, tripped: false };
  const denials = [...state.denials.filter((t) => t > nowMs - cfg.windowMs), nowMs];
  if (denials.length >= cfg.threshold) {
    return { state: { denials: [], pausedUntil: nowMs + cfg.cooldownMs }, tripped: true };
  }
  return { state: { denials, pausedUntil: 0 }, tripped: false };
}

export class AgentCircuitBreaker {
  readonly #cfg: BreakerConfig;
  readonly #now: () => number;
  readonly #states = new Map<string, BreakerState>();
  readonly #maxAgents: number;

  constructor(cfg: BreakerConfig, options: { now?: () => number; maxAgents?: number } = {}) {
    if (!Number.isInteger(cfg.threshold) || cfg.threshold < 1) throw new RangeError('threshold must be an integer >= 1');
    if (!(cfg.windowMs > 0) || !(cfg.cooldownMs > 0)) throw new RangeError('windowMs and cooldownMs must be > 0');
    this.#cfg = cfg;
    this.#now = options.now ?? Date.now;
    this.#maxAgents = options.maxAgents ?? 10_000;
  }

  check(agentId: string): BreakerCheck {
    return checkBreaker(this.#states.get(agentId) ?? CLOSED, this.#now());
  }

  /** Call after every policy deny (or scope refusal) for the agent. */
  recordDenial(agentId: string): { tripped: boolean; pausedUntil: number } {
    const next = recordDenial(this.#states.get(agentId) ?? CLOSED, this.#now(), this.#cfg);
    this.#states.delete(agentId);
    this.#states.set(agentId, next.state);
    if (this.#states.size > this.#maxAgents) this.#prune();
    return { tripped: next.tripped, pausedUntil: next.state.pausedUntil };
  }

  /** Admin override: close the breaker for an agent. */
  reset(agentId: string): void {
    this.#states.delete(agentId);
  }

  #prune(): void {
    const now = this.#now();
    for (const [id, s] of this.#states) {
      if (this.#states.size <= this.#maxAgents) return;
      if (s.pausedUntil <= now && s.denials.every((t) => t <= now - this.#cfg.windowMs)) this.#states.delete(id);
    }
    for (const [id, s] of this.#states) {
      if (this.#states.size <= this.#maxAgents) return;
      if (s.pausedUntil <= now) this.#states.delete(id);
    }
  }
}
