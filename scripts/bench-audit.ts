/**
 * Audit log benchmark: lines/s sustained with fsync (group commit) from C concurrent
 * appenders, and append latency (time until fsynced) p50/p99 for a single sequential
 * appender and under concurrency.
 *   node scripts/bench-audit.ts [--seconds 5] [--concurrency 8] [--dir <parent dir>]
 * The data dir is a fresh temp dir under --dir (default os.tmpdir()); fsync cost depends on
 * that filesystem, so run it on the disk the gateway's data dir will live on.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openAudit } from '../agent-gateway/audit/index.ts';
import type { StoredEvent } from '../agent-gateway/events.ts';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '5' }, concurrency: { type: 'string', default: '8' }, dir: { type: 'string' } } });
const seconds = Number(values.seconds);
const concurrency = Number(values.concurrency);
const parent = values.dir ?? tmpdir();
const dataDir = mkdtempSync(join(parent, 'palisade-bench-audit-'));

const event: StoredEvent = {
  type: 'tool.call', actor: 'agent:bench', outcome: 'ok', requestId: 'req-0123456789',
  data: { tool: 'js.eval', args_sha256: 'a'.repeat(64), rule_id: 'default', duration_ms: 3, args: { code: 'return input * 2', input: 21 } },
};

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}
const ms = (ns: bigint): number => Number(ns) / 1e6;

const audit = openAudit({ dataDir, logger: { warn: () => {} }, checkpointEvery: 1000 });
try {
  // 1) single sequential appender: the latency one request adds
  const single: number[] = [];
  const singleEnd = Date.now() + Math.min(2000, seconds * 1000);
  while (Date.now() < singleEnd) {
    const t0 = process.hrtime.bigint();
    await audit.log.append(event);
    single.push(ms(process.hrtime.bigint() - t0));
  }
  single.sort((a, b) => a - b);

  // 2) C concurrent appenders for `seconds`: sustained throughput with group commit
  const lat: number[] = [];
  let lines = 0;
  let batches = 0;
  const off = audit.log.onAppend(() => { batches += 1; });
  const end = Date.now() + seconds * 1000;
  const start = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (Date.now() < end) {
      const t0 = process.hrtime.bigint();
      await audit.log.append(event);
      lat.push(ms(process.hrtime.bigint() - t0));
      lines += 1;
    }
  }));
  const elapsed = ms(process.hrtime.bigint() - start) / 1000;
  off();
  lat.sort((a, b) => a - b);
  const verify = await audit.verify();
  const result = {
    node: process.version, dir: parent,
    single_appender: { appends: single.length, p50_ms: +pct(single, 50).toFixed(3), p99_ms: +pct(single, 99).toFixed(3), lines_per_s: Math.round(single.length / Math.min(2, seconds)) },
    concurrent: { concurrency, seconds: +elapsed.toFixed(2), lines, lines_per_s: Math.round(lines / elapsed), fsync_batches: batches, avg_batch: +(lines / Math.max(1, batches)).toFixed(1), p50_ms: +pct(lat, 50).toFixed(3), p99_ms: +pct(lat, 99).toFixed(3) },
    verify: { ok: verify.ok, entries: verify.entries },
  };
  console.log(JSON.stringify(result, null, 2));
} finally {
  await audit.close();
  rmSync(dataDir, { recursive: true, force: true });
}
