/**
 * Default size of the warm Docker pool (issue 15). Pure. Each container may use
 * `cpus` (PALISADE_DOCKER_CPUS) and `memoryBytes` (PALISADE_DOCKER_MEMORY):
 * - by CPU: as many containers as it takes to cover the host's cores at their quota
 *   (2 cores at 0.5 CPU → 4), since a container cannot use more than its quota;
 * - by memory: the warm containers may reserve at most a quarter of the host's memory;
 * the smaller of the two, at least 1 and at most 16.
 */
export interface PoolSizeInput {
  readonly cores: number;
  readonly cpus: number;
  readonly memoryBytes: number;
  readonly hostMemoryBytes: number;
}

export const POOL_SIZE_MAX = 16;

export function defaultDockerPoolSize(input: PoolSizeInput): number {
  const byCpu = input.cpus > 0 ? Math.ceil(Math.max(1, input.cores) / input.cpus) : 1;
  const byMemory = input.memoryBytes > 0 ? Math.floor(input.hostMemoryBytes / 4 / input.memoryBytes) : 1;
  return Math.max(1, Math.min(POOL_SIZE_MAX, byCpu, byMemory));
}
