/** Health state of the isolate backend plus transition listeners. */
import type { BackendHealth, HealthChange } from '../worker-backend.ts';

export interface HealthInput {
  readonly closed: boolean;
  readonly started: boolean;
  readonly children: number;
  readonly ready: number;
  /** children that failed to start `maxStartFailures` times in a row */
  readonly failing: number;
}

/** Pure: the health a set of children amounts to. */
export function computeHealth(input: HealthInput): BackendHealth {
  if (input.closed) return { state: 'down', detail: 'backend closed' };
  if (!input.started) return { state: 'down', detail: 'backend not started' };
  if (input.ready === input.children) return { state: 'healthy' };
  if (input.ready === 0 && input.failing === input.children) {
    return { state: 'down', detail: 'no isolate worker could be started' };
  }
  return { state: 'degraded', detail: `${input.ready}/${input.children} isolate workers ready` };
}

export class HealthTracker {
  #current: BackendHealth = { state: 'down', detail: 'backend not started' };
  readonly #listeners = new Set<(change: HealthChange) => void>();

  get current(): BackendHealth {
    return this.#current;
  }

  update(next: BackendHealth): void {
    const from = this.#current.state;
    this.#current = next;
    if (from === next.state) return;
    const change: HealthChange = { backend: 'isolate', from, to: next.state, detail: next.detail ?? next.state };
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
