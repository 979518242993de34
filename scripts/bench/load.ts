/**
 * One load run with autocannon (installed dev dependency, loaded through createRequire as it
 * ships no types). Latency percentiles come from autocannon's per-response timings (float ms,
 * hrtime-based) rather than its integer-ms histogram, so sub-millisecond servers still show.
 */
import { createRequire } from 'node:module';

interface AutocannonResult {
  readonly requests: { readonly average: number; readonly total: number };
  readonly duration: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly statusCodeStats?: Readonly<Record<string, { readonly count: number }>>;
}
interface AutocannonInstance {
  on(event: 'response', listener: (client: unknown, status: number, bytes: number, ms: number) => void): void;
}
type Autocannon = (opts: Record<string, unknown>, cb: (err: Error | null, result: AutocannonResult) => void) => AutocannonInstance;

const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

export interface LoadSpec {
  readonly url: string;
  readonly method: 'GET' | 'POST';
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly connections: number;
  readonly durationSeconds: number;
  /** the status every response should have */
  readonly expectStatus: number;
  /** requests per second across all connections (autocannon overallRate); unset: as fast as it answers */
  readonly overallRate?: number;
}

export interface LoadResult {
  readonly reqPerSec: number;
  readonly total: number;
  /** responses with the expected status */
  readonly expected: number;
  /** other statuses + socket errors + timeouts */
  readonly unexpected: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly meanMs: number;
  /** every answer counted by HTTP status, plus `socket-error` and `timeout` (issue 22: the
   * bench prints what the unexpected answers were, not only how many) */
  readonly statuses: Readonly<Record<string, number>>;
}

/** `{200: 1601, 503: 9}` → `200×1601 503×9` (sorted by status) */
export function formatStatuses(statuses: Readonly<Record<string, number>>): string {
  return Object.entries(statuses).filter(([, n]) => n > 0).sort(([a], [b]) => a.localeCompare(b))
    .map(([k, n]) => `${k}×${String(n)}`).join(' ');
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] ?? Number.NaN;
}

export function summarise(samples: number[]): { p50Ms: number; p99Ms: number; meanMs: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length);
  return { p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99), meanMs: mean };
}

export function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const samples: number[] = [];
  return new Promise((resolve, reject) => {
    const instance = autocannon({
      url: spec.url,
      method: spec.method,
      headers: { 'content-type': 'application/json', ...spec.headers },
      ...(spec.body === undefined ? {} : { body: spec.body }),
      connections: spec.connections,
      duration: spec.durationSeconds,
      timeout: 30,
      ...(spec.overallRate === undefined ? {} : { overallRate: spec.overallRate }),
    }, (err, result) => {
      if (err) return reject(err);
      const stats = result.statusCodeStats ?? {};
      const expected = stats[String(spec.expectStatus)]?.count ?? 0;
      const responses = Object.values(stats).reduce((a, s) => a + s.count, 0);
      const statuses: Record<string, number> = {};
      for (const [code, st] of Object.entries(stats)) statuses[code] = st.count;
      if (result.errors > 0) statuses['socket-error'] = result.errors;
      if (result.timeouts > 0) statuses['timeout'] = result.timeouts;
      resolve({
        statuses,
        reqPerSec: responses / Math.max(0.001, result.duration),
        total: responses,
        expected,
        unexpected: responses - expected + result.errors + result.timeouts,
        ...summarise(samples),
      });
    });
    instance.on('response', (_client, _status, _bytes, ms) => {
      samples.push(ms);
    });
  });
}
