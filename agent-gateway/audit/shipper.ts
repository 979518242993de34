/**
 * SIEM shipper: sends decrypted audit entries as NDJSON batches, in seq order, to one
 * endpoint through an injected `post` (the egress dispatcher enforces the allowlist).
 * At-least-once: the cursor (last acknowledged seq) is persisted with fsync only after a 2xx;
 * any other outcome is retried with capped exponential backoff, so nothing is dropped while
 * the receiver is down and it catches up in order. Personal fields are omitted by default.
 */
import { createHmac } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { AuditLogger } from './errors.ts';
import { writeFileDurable } from './fsutil.ts';
import type { AuditEntry } from './payload.ts';
import { readEntriesFrom, type ReadPosition, type ReadSource } from './reader.ts';
import { shipperCursorFile } from './files.ts';

export type PostFn = (url: string, body: string, headers: Record<string, string>) => Promise<{ status: number }>;

export interface ShipperOptions {
  readonly source: ReadSource;
  readonly url: string;
  readonly post: PostFn;
  readonly logger: AuditLogger;
  /** default `<dataDir>/audit/shipper.cursor` */
  readonly cursorFile?: string;
  readonly batchSize?: number;
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** how often to look for new lines when not woken by `subscribe` */
  readonly pollMs?: number;
  /** `omit` (default) drops subject, data.pii and keeps subject_ref; `include` ships them */
  readonly personal?: 'omit' | 'include';
  /** HMAC-SHA256 secret: adds `X-Palisade-Signature: t=<unix>,v1=<hex of t.body>` */
  readonly secret?: string;
  /** e.g. `log.onAppend`, to ship as soon as lines are durable */
  readonly subscribe?: (listener: () => void) => () => void;
}

export type ShipOutcome = { status: 'sent'; first: number; last: number } | { status: 'idle' } | { status: 'failed'; reason: string };

export interface Shipper {
  start(): void;
  stop(): Promise<void>;
  /** one attempt: ship the next batch after the cursor */
  shipOnce(): Promise<ShipOutcome>;
  cursor(): number;
  readonly failures: number;
}

/** Delay before retry `attempt` (1-based): initial * 2^(attempt-1), capped at max. */
export function backoffDelay(attempt: number, initialMs: number, maxMs: number): number {
  return Math.min(maxMs, initialMs * 2 ** Math.min(30, Math.max(0, attempt - 1)));
}

function loadCursor(file: string, logger: AuditLogger): number {
  if (!existsSync(file)) return 0;
  try {
    const v: unknown = JSON.parse(readFileSync(file, 'utf8'));
    const seq = (v as { acked_seq?: unknown }).acked_seq;
    if (typeof seq === 'number' && Number.isSafeInteger(seq) && seq >= 0) return seq;
  } catch {
    // fall through
  }
  logger.warn('audit shipper cursor is malformed; re-shipping from the start (at-least-once)', { file });
  return 0;
}

function forShipping(e: AuditEntry, personal: 'omit' | 'include'): AuditEntry {
  if (personal === 'include') return e;
  const { subject, data, ...rest } = e;
  if (subject !== undefined && rest.actor.endsWith(`:${subject}`)) {
    rest.actor = `${rest.actor.slice(0, rest.actor.length - subject.length)}[omitted]`; // the actor is the subject
  }
  if (data === undefined) return rest;
  const { pii: _p, ...kept } = data;
  return { ...rest, data: kept };
}

export function createShipper(options: ShipperOptions): Shipper {
  const { source, url, post, logger } = options;
  const file = options.cursorFile ?? shipperCursorFile(source.dataDir);
  const batchSize = options.batchSize ?? 500;
  const initial = options.initialBackoffMs ?? 500;
  const max = options.maxBackoffMs ?? 60_000;
  const personal = options.personal ?? 'omit';
  let acked = loadCursor(file, logger);
  let hint: ReadPosition | null = null; // byte offset of the cursor, so batches do not rescan the file
  let failures = 0;
  let running = false;
  let loop: Promise<void> | null = null;
  let wake: (() => void) | null = null;
  let unsubscribe: (() => void) | null = null;

  const sleep = (ms: number): Promise<void> => new Promise((resolve) => {
    const timer = setTimeout(() => { wake = null; resolve(); }, ms);
    wake = () => { clearTimeout(timer); wake = null; resolve(); };
  });

  const shipOnce = async (): Promise<ShipOutcome> => {
    let entries: AuditEntry[];
    let next: ReadPosition | null = null;
    try {
      const read = await readEntriesFrom(source, { after_seq: acked, limit: batchSize }, hint ?? undefined);
      entries = read.entries;
      next = read.position;
    } catch (error) {
      return { status: 'failed', reason: `read: ${String(error)}` };
    }
    if (entries.length === 0) return { status: 'idle' };
    const body = entries.map((e) => JSON.stringify(forShipping(e, personal))).join('\n') + '\n';
    const first = entries[0]?.seq ?? 0;
    const last = entries[entries.length - 1]?.seq ?? 0;
    const headers: Record<string, string> = {
      'content-type': 'application/x-ndjson',
      'x-palisade-audit-first-seq': String(first),
      'x-palisade-audit-last-seq': String(last),
    };
    if (options.secret !== undefined) {
      const t = Math.floor(Date.now() / 1000);
      headers['x-palisade-signature'] = `t=${t},v1=${createHmac('sha256', options.secret).update(`${t}.${body}`).digest('hex')}`;
    }
    let status: number;
    try {
      status = (await post(url, body, headers)).status;
    } catch (error) {
      return { status: 'failed', reason: `post: ${String(error)}` };
    }
    if (status < 200 || status > 299) return { status: 'failed', reason: `receiver answered ${status}` };
    writeFileDurable(file, `${JSON.stringify({ v: 1, acked_seq: last })}\n`, 0o600);
    acked = last;
    hint = next;
    return { status: 'sent', first, last };
  };

  const run = async (): Promise<void> => {
    while (running) {
      const outcome = await shipOnce();
      switch (outcome.status) {
        case 'sent':
          failures = 0;
          break;
        case 'idle':
          failures = 0;
          await sleep(options.pollMs ?? 1000);
          break;
        case 'failed':
          failures += 1;
          if (failures === 1 || failures % 10 === 0) logger.warn('audit shipping failed; will retry', { reason: outcome.reason, failures });
          await sleep(backoffDelay(failures, initial, max));
          break;
        default: {
          const never: never = outcome;
          throw new Error(`unexpected ${String(never)}`);
        }
      }
    }
  };

  return {
    get failures() { return failures; },
    cursor: () => acked,
    shipOnce,
    start() {
      if (running) return;
      running = true;
      unsubscribe = options.subscribe?.(() => { if (failures === 0) wake?.(); }) ?? null;
      loop = run();
    },
    async stop() {
      running = false;
      unsubscribe?.();
      wake?.();
      await loop;
      loop = null;
    },
  };
}
