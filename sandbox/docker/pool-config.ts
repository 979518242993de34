/**
 * Docker pool settings from configuration strings (issue 15). Pure: every problem is listed,
 * nothing is clamped silently. Unset values take the defaults:
 *   PALISADE_DOCKER_POOL_SIZE            warm containers one agent may use (default from cores
 *                                        and PALISADE_DOCKER_MEMORY, pool-size.ts; 1..16)
 *   PALISADE_DOCKER_JOBS_PER_CONTAINER   jobs one container runs at once (default 2; 1..8)
 *   PALISADE_DOCKER_MAX_JOBS             jobs before a container is replaced (default 1024; 1..100000)
 *   PALISADE_DOCKER_MAX_AGE_SECONDS      container lifetime (default 600; 10..86400)
 *   PALISADE_DOCKER_MAX_HEAP_MB          worker heap that retires a container (default half of
 *                                        PALISADE_DOCKER_MEMORY; 8..4096)
 */
import { availableParallelism, totalmem } from 'node:os';
import { defaultDockerPoolSize, POOL_SIZE_MAX } from './pool-size.ts';
import type { DockerQuotas } from './quotas.ts';
import { DEFAULT_RECYCLE_RULES } from './recycle.ts';

export interface DockerPoolConfig {
  readonly poolSize: number;
  readonly jobsPerContainer: number;
  readonly maxJobsPerContainer: number;
  readonly maxContainerAgeMs: number;
  readonly maxWorkerHeapBytes: number;
}

export type DockerPoolConfigResult = ({ readonly ok: true } & DockerPoolConfig) | { readonly ok: false; readonly problems: readonly string[] };

export const DOCKER_POOL_VARIABLES = ['DOCKER_POOL_SIZE', 'DOCKER_JOBS_PER_CONTAINER', 'DOCKER_MAX_JOBS', 'DOCKER_MAX_AGE_SECONDS', 'DOCKER_MAX_HEAP_MB'] as const;

export interface HostFacts {
  readonly cores: number;
  readonly hostMemoryBytes: number;
}

export const hostFacts = (): HostFacts => ({ cores: availableParallelism(), hostMemoryBytes: totalmem() });

export function parseDockerPoolConfig(get: (name: string) => string | undefined, quotas: DockerQuotas, host: HostFacts = hostFacts()): DockerPoolConfigResult {
  const problems: string[] = [];
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = get(name);
    if (raw === undefined) return fallback;
    const text = raw.trim();
    const value = /^[0-9]{1,9}$/.test(text) ? Number(text) : Number.NaN;
    if (Number.isNaN(value) || value < min || value > max) {
      problems.push(`PALISADE_${name}: "${text.slice(0, 40)}" must be an integer in ${min}..${max}`);
      return fallback;
    }
    return value;
  };
  const poolDefault = defaultDockerPoolSize({ cores: host.cores, cpus: quotas.nanoCpus / 1e9, memoryBytes: quotas.memoryBytes, hostMemoryBytes: host.hostMemoryBytes });
  const poolSize = int('DOCKER_POOL_SIZE', poolDefault, 1, POOL_SIZE_MAX);
  const jobsPerContainer = int('DOCKER_JOBS_PER_CONTAINER', 2, 1, 8);
  const maxJobsPerContainer = int('DOCKER_MAX_JOBS', DEFAULT_RECYCLE_RULES.maxJobs, 1, 100_000);
  const maxAgeSeconds = int('DOCKER_MAX_AGE_SECONDS', 600, 10, 86_400);
  const heapMb = int('DOCKER_MAX_HEAP_MB', Math.max(8, Math.floor(quotas.memoryBytes / 2 / 1_048_576)), 8, 4096);
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, poolSize, jobsPerContainer, maxJobsPerContainer, maxContainerAgeMs: maxAgeSeconds * 1000, maxWorkerHeapBytes: heapMb * 1_048_576 };
}
