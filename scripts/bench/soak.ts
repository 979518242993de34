/** Soak: one long load run while the gateway's RSS is sampled every 10 s; reports the drift. */
import { readdirSync } from 'node:fs';
import { runLoad, type LoadSpec } from './load.ts';
import { rssMiB, treeRssMiB, type Server } from './procs.ts';

export interface SoakSample {
  readonly t_s: number;
  readonly rss_mib: number;
  readonly tree_rss_mib: number;
  /** open file descriptors of the gateway process (/proc/<pid>/fd), NaN where unreadable */
  readonly fds: number;
}

function fdCount(pid: number): number {
  try {
    return readdirSync(`/proc/${String(pid)}/fd`).length;
  } catch {
    return Number.NaN;
  }
}

export async function runSoak(server: Server, spec: LoadSpec, log: (line: string) => void): Promise<{ text: string; json: Record<string, unknown> }> {
  const samples: SoakSample[] = [];
  const t0 = performance.now();
  const sample = (): void => {
    const s = { t_s: Math.round((performance.now() - t0) / 1000), rss_mib: rssMiB(server.pid), tree_rss_mib: treeRssMiB(server.pid), fds: fdCount(server.pid) };
    samples.push(s);
    log(`t=${s.t_s}s rss ${s.rss_mib.toFixed(1)} MiB (tree ${s.tree_rss_mib.toFixed(1)}), ${String(s.fds)} fds`);
  };
  sample();
  const timer = setInterval(sample, 10_000);
  let result;
  try {
    result = await runLoad(spec);
  } finally {
    clearInterval(timer);
  }
  sample();
  const first = samples[0];
  const last = samples[samples.length - 1];
  // after the first minute the heap and the isolate pools are warm: drift from there is the leak signal
  const warm = samples.find((s) => s.t_s >= 60) ?? first;
  const max = Math.max(...samples.map((s) => s.rss_mib));
  const drift = (a: SoakSample | undefined, b: SoakSample | undefined): number => (a === undefined || b === undefined ? Number.NaN : b.rss_mib - a.rss_mib);
  // the band of every sample after the first minute around their median (issue 12: within ±10%)
  const after = samples.filter((s) => s.t_s >= 60).map((s) => s.rss_mib).sort((a, b) => a - b);
  const median = after.length === 0 ? Number.NaN : after[Math.floor(after.length / 2)]!;
  const band = { min_mib: after[0] ?? Number.NaN, max_mib: after[after.length - 1] ?? Number.NaN, median_mib: median };
  const pct = (v: number): string => `${v >= median ? '+' : ''}${((100 * (v - median)) / median).toFixed(1)}%`;
  const text = [
    `soak: ${spec.durationSeconds} s, ${spec.connections} connections, ${result.reqPerSec.toFixed(0)} req/s, p50 ${result.p50Ms.toFixed(2)} ms, p99 ${result.p99Ms.toFixed(2)} ms, ${result.unexpected} unexpected`,
    `gateway RSS: start ${first?.rss_mib.toFixed(1)} MiB, at ${warm?.t_s}s ${warm?.rss_mib.toFixed(1)} MiB, end ${last?.rss_mib.toFixed(1)} MiB, max ${max.toFixed(1)} MiB`,
    `open fds: at ${warm?.t_s}s ${String(warm?.fds)}, end ${String(last?.fds)} (growth ${String((last?.fds ?? Number.NaN) - (warm?.fds ?? Number.NaN))})`,
    `drift: ${drift(first, last).toFixed(1)} MiB overall, ${drift(warm, last).toFixed(1)} MiB after warm-up (${samples.length} samples)`,
    `after the first minute: RSS ${band.min_mib.toFixed(1)}..${band.max_mib.toFixed(1)} MiB, median ${median.toFixed(1)} (${pct(band.min_mib)} / ${pct(band.max_mib)})`,
  ].join('\n');
  return { text, json: { load: result, samples, drift_mib: drift(first, last), drift_after_warmup_mib: drift(warm, last), max_rss_mib: max, rss_band_after_first_minute: band, fd_growth_after_warmup: (last?.fds ?? Number.NaN) - (warm?.fds ?? Number.NaN) } };
}
