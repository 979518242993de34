/**
 * Per-agent token bucket. `takeToken` is pure (bucket + time in, bucket + decision out); the
 * `AgentRateLimiter` wrapper keeps one bucket per agent with an injected clock and a bounded
 * map (full buckets are forgotten first). A refusal carries `retryAfterSeconds` for the
 * `Retry-After` header of the 429.
 */
export interface RateLimitConfig {
  /** burst size */
  readonly capacity: number;
  /** sustained tokens per second */
  readonly refillPerSecond: number;
}

export interface Bucket { readonly tokens: number; readonly updatedMs: number }

export type RateDecision =
  | { ok: true; remaining: number }
  | { ok: false; code: 'GW_ERR_RATE_LIMITED'; retryAfterSeconds: number };

export function takeToken(bucket: Bucket | undefined, nowMs: number, cfg: RateLimitConfig): { bucket: Bucket; decision: RateDecision } {
  const elapsed = bucket === undefined ? 0 : Math.max(0, nowMs - bucket.updatedMs) / 1000;
  const tokens = Math.min(cfg.capacity, (bucket?.tokens ?? cfg.capacity) + elapsed * cfg.refillPerSecond);
  if (tokens >= 1) {
    return { bucket: { tokens: tokens - 1, updatedMs: nowMs }, decision: { ok: true, remaining: Math.floor(tokens - 1) } };
  }
  const retryAfterSeconds = Math.max(1, Math.ceil((1 - tokens) / cfg.refillPerSecond));
  return { bucket: { tokens, updatedMs: nowMs }, decision: { ok: false, code: 'GW_ERR_RATE_LIMITED', retryAfterSeconds } };
}

export function checkRateLimitConfig(cfg: RateLimitConfig): void {
  if (!Number.isInteger(cfg.capacity) || cfg.capacity < 1) throw new RangeError('capacity must be an integer >= 1');
  if (!Number.isFinite(cfg.refillPerSecond) || cfg.refillPerSecond <= 0) throw new RangeError('refillPerSecond must be > 0');
}

export class AgentRateLimiter {
  readonly #cfg: RateLimitConfig;
  readonly #now: () => number;
  readonly #maxAgents: number;
  /** each bucket with the limit it was last taken under (an agent's own or the default) */
  readonly #buckets = new Map<string, { bucket: Bucket; cfg: RateLimitConfig }>();

  readonly #limitFor: (agentId: string) => RateLimitConfig | undefined;

  /** `limitFor`: an agent's own bucket (POST /admin/agents `rate_limit`), else `cfg` applies */
  constructor(cfg: RateLimitConfig, options: { now?: () => number; maxAgents?: number; limitFor?: (agentId: string) => RateLimitConfig | undefined } = {}) {
    checkRateLimitConfig(cfg);
    this.#cfg = cfg;
    this.#now = options.now ?? Date.now;
    this.#maxAgents = options.maxAgents ?? 10_000;
    this.#limitFor = options.limitFor ?? (() => undefined);
  }

  take(agentId: string): RateDecision {
    const now = this.#now();
    const cfg = this.#limitFor(agentId) ?? this.#cfg;
    const { bucket, decision } = takeToken(this.#buckets.get(agentId)?.bucket, now, cfg);
    this.#buckets.delete(agentId);
    this.#buckets.set(agentId, { bucket, cfg });
    if (this.#buckets.size > this.#maxAgents) this.#evict(now);
    return decision;
  }

  #evict(now: number): void {
    // a bucket refilled to its own capacity is the same as no bucket: forget those first
    for (const [id, { bucket: b, cfg }] of this.#buckets) {
      if (this.#buckets.size <= this.#maxAgents) return;
      const refilled = b.tokens + ((now - b.updatedMs) / 1000) * cfg.refillPerSecond;
      if (refilled >= cfg.capacity) this.#buckets.delete(id);
    }
    // every bucket is still draining: drop the least recently used (map order) ones
    for (const id of this.#buckets.keys()) {
      if (this.#buckets.size <= this.#maxAgents) return;
      this.#buckets.delete(id);
    }
  }
}
