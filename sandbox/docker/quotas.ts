/**
 * Container quotas from configuration strings (PALISADE_DOCKER_MEMORY / _CPUS / _PIDS).
 * Pure: every problem is listed, nothing is clamped silently.
 */
import { LIMITS, MIB } from '../limits.ts';

export interface DockerQuotaInput {
  readonly memory?: string | undefined; // "64m", "128M", "1g", "67108864"
  readonly cpus?: string | undefined; // "0.5"
  readonly pids?: string | undefined; // "64"
}

export interface DockerQuotas {
  readonly memoryBytes: number;
  readonly nanoCpus: number;
  readonly pids: number;
}

export type QuotaResult = ({ readonly ok: true } & DockerQuotas) | { readonly ok: false; readonly problems: readonly string[] };

export const QUOTA_BOUNDS = Object.freeze({
  memoryMinBytes: 32 * MIB, // Node itself needs ~40 MiB resident
  memoryMaxBytes: 4096 * MIB,
  cpusMin: 0.05,
  cpusMax: 64,
  pidsMin: 16, // Node's own threads (V8 platform, libuv pool, inspector) need about a dozen
  pidsMax: 4096,
});

const UNITS: Readonly<Record<string, number>> = { '': 1, b: 1, k: 1024, m: MIB, g: 1024 * MIB };

function parseMemory(text: string): number | undefined {
  const match = /^([0-9]{1,10})([bkmg]?)$/i.exec(text.trim());
  if (match === null) return undefined;
  const unit = UNITS[(match[2] ?? '').toLowerCase()];
  if (unit === undefined) return undefined;
  const bytes = Number(match[1]) * unit;
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

export function parseDockerQuotas(input: DockerQuotaInput): QuotaResult {
  const problems: string[] = [];
  const b = QUOTA_BOUNDS;

  const memoryText = input.memory ?? LIMITS.dockerMemory;
  const memoryBytes = parseMemory(memoryText);
  if (memoryBytes === undefined) problems.push(`PALISADE_DOCKER_MEMORY: "${memoryText.slice(0, 40)}" is not a size like 64m`);
  else if (memoryBytes < b.memoryMinBytes || memoryBytes > b.memoryMaxBytes) {
    problems.push(`PALISADE_DOCKER_MEMORY: must be between 32m and 4g`);
  }

  const cpusText = (input.cpus ?? String(LIMITS.dockerCpus)).trim();
  const cpus = /^[0-9]{1,3}(\.[0-9]{1,3})?$/.test(cpusText) ? Number(cpusText) : Number.NaN;
  if (Number.isNaN(cpus)) problems.push(`PALISADE_DOCKER_CPUS: "${cpusText.slice(0, 40)}" is not a number like 0.5`);
  else if (cpus < b.cpusMin || cpus > b.cpusMax) problems.push(`PALISADE_DOCKER_CPUS: must be between ${b.cpusMin} and ${b.cpusMax}`);

  const pidsText = (input.pids ?? String(LIMITS.dockerPids)).trim();
  const pids = /^[0-9]{1,6}$/.test(pidsText) ? Number(pidsText) : Number.NaN;
  if (Number.isNaN(pids)) problems.push(`PALISADE_DOCKER_PIDS: "${pidsText.slice(0, 40)}" is not an integer`);
  else if (pids < b.pidsMin || pids > b.pidsMax) problems.push(`PALISADE_DOCKER_PIDS: must be between ${b.pidsMin} and ${b.pidsMax}`);

  if (problems.length > 0 || memoryBytes === undefined) return { ok: false, problems };
  return { ok: true, memoryBytes, nanoCpus: Math.round(cpus * 1e9), pids };
}

export const DEFAULT_DOCKER_QUOTAS: DockerQuotas = Object.freeze({ memoryBytes: 64 * MIB, nanoCpus: 500_000_000, pids: LIMITS.dockerPids });
