/** Isolate backend health: the shared pool health (sandbox/pool-health.ts) named for isolate hosts. */
import { HealthTracker as PoolHealthTracker, poolHealth } from '../pool-health.ts';
import type { BackendHealth } from '../worker-backend.ts';

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
  return poolHealth({ name: 'isolate', closed: input.closed, started: input.started, total: input.children, ready: input.ready, failing: input.failing });
}

export class HealthTracker extends PoolHealthTracker {
  constructor() {
    super('isolate');
  }
}
