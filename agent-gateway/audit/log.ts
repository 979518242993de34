/**
 * The append-only audit log writer. `append` resolves only after the line is written AND
 * fsynced (fdatasync); appends queued while an fsync is in flight are committed together in
 * one write + fsync (group commit). A failed write/fsync rejects every append of the batch,
 * rolls the file back to the last good line and fires `onFailure`. On open, seq and prev are
 * recovered from the last complete line and a torn tail is moved aside (reported, not fatal).
 * Every `checkpointEvery` lines or `checkpointIntervalMs`, a signed checkpoint is written.
 * With a `head` store, each batch's last seq and line hash are written there after the fsync
 * and before any append of the batch resolves (a failure rolls the batch back); at open the
 * log is compared with it: a log that ends before the head (truncated or deleted) is recorded
 * as an incident and the chain continues from the head, so the gap stays visible to verify.
 */
import { closeSync } from 'node:fs';
import type { StoredEvent } from '../events.ts';
import { signCheckpoint, type Checkpoint } from './checkpoint.ts';
import { AuditError, type AuditLogger } from './errors.ts';
import { fdatasyncP, fsyncP, ftruncateP, writeAll } from './fsutil.ts';
import { rotateAuditKey, type AuditKeyring } from './keys.ts';
import { encodeLine, sha256Hex } from './line.ts';
import { encodePayload } from './payload.ts';
import type { SigningKey } from './signing.ts';
import type { SubjectKeyStore } from './subjects.ts';
import { recoverLogState } from './recover.ts';
import type { GarbageTail, TornTail } from './tail.ts';
import type { AuditIncident, HeadStore, NewIncident } from './head.ts';

export interface OpenAuditLogOptions {
  readonly dataDir: string;
  readonly keyring: AuditKeyring;
  readonly signingKey: SigningKey;
  readonly logger: AuditLogger;
  /** needed for events with a `subject` (GDPR crypto-shredding) */
  readonly subjects?: SubjectKeyStore;
  /** checkpoint after this many lines (default 1000) */
  readonly checkpointEvery?: number;
  /** and after this long when lines were added (default 60 000 ms; 0 disables) */
  readonly checkpointIntervalMs?: number;
  readonly onFailure?: (error: AuditError) => void;
  /** the second record of the last committed seq + hash, and the incident register */
  readonly head?: HeadStore;
}

export interface AuditLog {
  readonly dataDir: string;
  readonly keyring: AuditKeyring;
  readonly subjects: SubjectKeyStore | null;
  /** torn bytes found and moved aside at open, if any */
  readonly tornTail: TornTail | null;
  /** garbage lines found after the last good line at open and moved aside, if any */
  readonly garbageTail: GarbageTail | null;
  /** damage found at open (recorded in the head store) */
  readonly incidents: readonly AuditIncident[];
  /**
   * The storage engine keeps any stored shape (its format does not depend on the type list);
   * the gateway appends only through its EventSink (sink.ts), which takes a SecurityEvent.
   */
  append(event: StoredEvent): Promise<{ seq: number }>;
  lastSeq(): number;
  /** bytes of complete, fsynced lines */
  durableSize(): number;
  /** writes a checkpoint now if lines were added since the last one */
  checkpoint(): Promise<Checkpoint | null>;
  rotateKey(): string;
  /** called after each durable batch with the new last seq; returns an unsubscribe */
  onAppend(listener: (lastSeq: number) => void): () => void;
  close(): Promise<void>;
}

interface Pending {
  readonly payload: string;
  resolve(v: { seq: number }): void;
  reject(e: unknown): void;
}

const MAX_BATCH = 1024;
/** 2^48 lines: far beyond any real log, far below where seq arithmetic loses precision */
const MAX_SANE_SEQ = 2 ** 48;

export function openAuditLog(options: OpenAuditLogOptions): AuditLog {
  const { dataDir, keyring, signingKey, logger } = options;
  const every = options.checkpointEvery ?? 1000;
  const recovered = recoverLogState(dataDir, logger);
  const { fd, cpFd, tornTail, garbageTail } = recovered;
  let { seq, prev, size, cpSeq } = recovered;
  const incidents: AuditIncident[] = [];
  const headStore = options.head;
  if (headStore !== undefined) {
    const note = (i: NewIncident): void => {
      incidents.push(headStore.record(i));
      logger.error?.('audit log damage recorded', { reason: i.reason, from_seq: i.from_seq, to_seq: i.to_seq });
    };
    if (garbageTail !== null) {
      note({ reason: 'garbage_tail', from_seq: seq + 1, to_seq: seq + 1, detail: { lines: garbageTail.lines, bytes: garbageTail.bytes, moved_to: garbageTail.moved_to } });
    }
    const h = headStore.get();
    if (h === null) {
      if (seq > 0) logger.warn('audit head initialised from the log (first start with a head store)', { seq });
      headStore.set({ seq, head: prev });
    } else if (h.seq > MAX_SANE_SEQ) {
      // a head no writer could have produced (an edited database): report it, never adopt it
      note({ reason: 'head_mismatch', from_seq: seq + 1, to_seq: seq + 1, detail: { head_malformed: true } });
    } else if (h.seq > seq) {
      note({ reason: 'truncated', from_seq: seq + 1, to_seq: h.seq, anchor: h.head, detail: { log_last_seq: seq, head_seq: h.seq } });
      seq = h.seq; // continue the chain from the head: the missing range stays a visible gap
      prev = h.head;
    } else if (h.seq === seq && h.head !== prev) {
      note({ reason: 'head_mismatch', from_seq: seq, to_seq: seq, detail: { head_seq: h.seq } });
    } else if (h.seq < seq) {
      logger.warn('audit log is ahead of its sqlite head (a crash between the log fsync and the head write, or a restored database)', { seq, head_seq: h.seq });
    }
  }

  let state: 'open' | 'failed' | 'closed' = 'open';
  const pending: Pending[] = [];
  let running = false;
  let flushing: Promise<void> = Promise.resolve();
  let checkpointDue = false;
  let lastCheckpoint: Checkpoint | null = null;
  const listeners = new Set<(s: number) => void>();

  const writeCheckpoint = async (): Promise<Checkpoint | null> => {
    if (seq === 0 || seq === cpSeq) return null;
    const cp = signCheckpoint(seq, prev, new Date().toISOString(), signingKey.privateKey);
    await writeAll(cpFd, Buffer.from(`${JSON.stringify(cp)}\n`));
    await fdatasyncP(cpFd);
    cpSeq = seq;
    lastCheckpoint = cp;
    return cp;
  };
  const fail = (error: unknown): AuditError => {
    const err = error instanceof AuditError ? error : new AuditError('AUDIT_ERR_WRITE_FAILED', undefined, { cause: error });
    try {
      options.onFailure?.(err);
    } catch {
      // a failing alert hook must not hide the audit failure
    }
    return err;
  };

  const commitBatch = async (batch: Pending[]): Promise<void> => {
    let nextSeq = seq;
    let nextPrev = prev;
    const parts: string[] = [];
    const ts = new Date().toISOString();
    for (const p of batch) {
      nextSeq += 1;
      const kid = keyring.current;
      const key = keyring.keys.get(kid);
      if (key === undefined) throw new AuditError('AUDIT_ERR_WRITE_FAILED', `no key for current kid ${kid}`);
      const text = encodeLine(nextSeq, ts, kid, key, nextPrev, p.payload);
      nextPrev = sha256Hex(text);
      parts.push(text, '\n');
    }
    const buf = Buffer.from(parts.join(''), 'utf8');
    try {
      await writeAll(fd, buf);
      await fdatasyncP(fd);
      headStore?.set({ seq: nextSeq, head: nextPrev }); // after the fsync, before any ack (see head.ts on its durability)
    } catch (error) {
      try {
        await ftruncateP(fd, size); // roll back a partial write so the chain stays intact
        await fsyncP(fd);
      } catch {
        state = 'failed';
      }
      throw error;
    }
    const first = seq + 1;
    seq = nextSeq;
    prev = nextPrev;
    size += buf.length;
    batch.forEach((p, i) => p.resolve({ seq: first + i }));
  };

  const flushLoop = async (): Promise<void> => {
    for (;;) {
      if (!(state === 'open' && (pending.length > 0 || checkpointDue))) {
        running = false; // in the same tick as the last check: no append can slip between
        return;
      }
      await new Promise<void>((r) => setImmediate(r)); // let concurrent appends join the batch
      const batch = pending.splice(0, MAX_BATCH);
      if (batch.length > 0) {
        try {
          await commitBatch(batch);
        } catch (error) {
          const err = fail(error);
          for (const p of batch) p.reject(err);
          if (state !== 'open') {
            for (const p of pending.splice(0)) p.reject(err);
          }
          continue;
        }
        for (const l of listeners) l(seq);
      }
      if (checkpointDue || seq - cpSeq >= every) {
        checkpointDue = false;
        try {
          await writeCheckpoint();
        } catch (error) {
          logger.warn('audit checkpoint write failed', { error: String(error) });
          fail(error);
        }
      }
    }
  };
  const kick = (): Promise<void> => {
    if (!running) {
      running = true;
      flushing = flushLoop().catch((error: unknown) => {
        running = false; // only reached if the loop itself threw unexpectedly
        logger.warn('audit flush loop failed', { error: String(error) });
      });
    }
    return flushing;
  };

  const intervalMs = options.checkpointIntervalMs ?? 60_000;
  const timer = intervalMs <= 0 ? null : setInterval(() => {
    if (seq > cpSeq) { checkpointDue = true; void kick(); }
  }, intervalMs);
  timer?.unref();

  return {
    dataDir, keyring, tornTail, garbageTail, incidents,
    subjects: options.subjects ?? null,
    append(event) {
      if (state !== 'open') return Promise.reject(new AuditError('AUDIT_ERR_CLOSED'));
      let payload: string;
      try {
        payload = encodePayload(event, options.subjects ?? null);
      } catch (error) {
        return Promise.reject(error);
      }
      return new Promise((resolve, reject) => {
        pending.push({ payload, resolve, reject });
        void kick();
      });
    },
    lastSeq: () => seq,
    durableSize: () => size,
    async checkpoint() {
      if (state !== 'open') throw new AuditError('AUDIT_ERR_CLOSED');
      checkpointDue = true;
      await kick();
      return lastCheckpoint;
    },
    rotateKey: () => rotateAuditKey(dataDir, keyring, logger),
    onAppend(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      if (state === 'closed') return;
      while (running) await flushing;
      if (timer !== null) clearInterval(timer);
      if (state === 'open') {
        checkpointDue = true;
        await kick();
      }
      state = 'closed';
      for (const p of pending.splice(0)) p.reject(new AuditError('AUDIT_ERR_CLOSED'));
      closeSync(fd);
      closeSync(cpFd);
    },
  };
}
