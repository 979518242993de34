/**
 * Health of a worker pool (pure) and a transition tracker, shared by both backends.
 *   healthy  every worker ready
 *   degraded some workers ready or restarting: calls are taken (they may wait in the queue)
 *   down     no worker ready and none can be: every position failed to start `maxStartFailures`
 *            times in a row, or the pool is suspended (docker daemon gone), closed, not started
 */
import type { BackendHealth, BackendName, HealthChange } from './worker-backend.ts';

export interface PoolHealthInput {
  readonly name: BackendName;
  readonly closed: boolean;
  readonly started: boolean;
  /** set while the pool is suspended (why) */
  readonly suspended?: string | undefined;
  readonly total: number;
  /** workers ready (or being replaced on purpose) */
  readonly ready: number;
  /** positions without a worker that failed to start `maxStartFailures` times in a row */
  readonly failing: number;
  readonly lastStartError?: string;
}

export function poolHealth(input: PoolHealthInput): BackendHealth {
  const workers = { ready: input.ready, total: input.total };
  if (input.closed) return { state: 'down', detail: 'backend closed', workers };
  if (input.suspended !== undefined) return { state: 'down', detail: input.suspended, workers };
  if (!input.started) return { state: 'down', detail: 'backend not started', workers };
  if (input.ready === input.total) return { state: 'healthy', workers };
  if (input.ready === 0 && input.failing === input.total) {
    const why = input.lastStartError === undefined || input.lastStartError === '' ? '' : `: ${input.lastStartError}`;
    return { state: 'down', detail: `no ${input.name} worker could be started${why}`, workers };
  }
  return { state: 'degraded', detail: `${input.ready}/${input.total} ${input.name} workers ready`, workers };
}

export class HealthTracker {
  readonly #backend: BackendName;
  #current: BackendHealth;
  readonly #listeners = new Set<(change: HealthChange) => void>();

  constructor(backend: BackendName, initial: BackendHealth = { state: 'down', detail: 'backend not started' }) {
    this.#backend = backend;
    this.#current = initial;
  }

  get current(): BackendHealth {
    return this.#current;
  }

  update(next: BackendHealth): void {
    const from = this.#current.state;
    this.#current = next;
    if (from === next.state) return;
    const change: HealthChange = { backend: this.#backend, from, to: next.state, detail: next.detail ?? next.state };
    for (const listener of [...this.#listeners]) {
      try {
        listener(change);
      } catch {
        /* a listener's failure must not break the supervisor */
      }
    }
  }

  subscribe(listener: (change: HealthChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
