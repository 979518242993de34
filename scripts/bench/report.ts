/** Formats benchmark rows as a text table (with ratios to both baselines) and the JSON record. */
import { cpus, release } from 'node:os';

export interface Row {
  readonly id: string;
  readonly label: string;
  readonly target: 'baseline' | 'gateway' | 'sandbox';
  readonly connections: number;
  readonly reqPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly meanMs: number;
  readonly total: number;
  readonly unexpected: number;
  /** answers counted per HTTP status (+ socket-error, timeout) for load rows */
  readonly statuses?: Readonly<Record<string, number>>;
  /** RSS of the serving process before/after the case, MiB (gateway: the gateway process) */
  readonly rssBeforeMiB: number;
  readonly rssAfterMiB: number;
  /** gateway process + its isolate host children after the case, MiB */
  readonly treeRssAfterMiB?: number;
  readonly note?: string;
}

export interface Ratios {
  readonly vsHttp: number;
  readonly vsExpress: number;
}

export function ratios(row: Row, http: Row | undefined, express: Row | undefined): Ratios {
  return {
    vsHttp: http === undefined ? Number.NaN : row.reqPerSec / http.reqPerSec,
    vsExpress: express === undefined ? Number.NaN : row.reqPerSec / express.reqPerSec,
  };
}

const fix = (n: number, d: number): string => (Number.isFinite(n) ? n.toFixed(d) : '-');
const ratio = (n: number): string => (!Number.isFinite(n) ? '-' : n >= 0.01 ? n.toFixed(3) : n.toPrecision(2));
const ms = (n: number): string => (!Number.isFinite(n) ? '-' : n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : n.toFixed(0));

export function formatTable(rows: readonly Row[]): string {
  const http = rows.find((r) => r.id === 'baseline-http');
  const express = rows.find((r) => r.id === 'baseline-express');
  const head = ['case', 'conn', 'req/s', 'p50 ms', 'p99 ms', 'vs node:http', 'vs express', 'bad', 'RSS MiB before→after', 'tree RSS'];
  const body = rows.map((r) => {
    const q = ratios(r, http, express);
    return [
      r.label, String(r.connections), fix(r.reqPerSec, r.reqPerSec < 100 ? 1 : 0), ms(r.p50Ms), ms(r.p99Ms),
      `${ratio(q.vsHttp)}x`, `${ratio(q.vsExpress)}x`, String(r.unexpected),
      `${fix(r.rssBeforeMiB, 0)}→${fix(r.rssAfterMiB, 0)}`, r.treeRssAfterMiB === undefined ? '' : fix(r.treeRssAfterMiB, 0),
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? '').length)));
  const line = (cells: readonly string[]): string => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join(' | ')} |`;
  const sep = `|${widths.map((w, i) => (i === 0 ? `${'-'.repeat(w + 1)}-` : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  const notes = rows.filter((r) => r.note !== undefined).map((r) => `  ${r.label}: ${r.note}`);
  return [line(head), sep, ...body.map(line), ...(notes.length > 0 ? ['', 'notes:', ...notes] : [])].join('\n');
}

export function machine(): Record<string, unknown> {
  const c = cpus();
  return { cpus: c.length, cpu_model: c[0]?.model ?? 'unknown', node: process.version, platform: process.platform, kernel: release() };
}
