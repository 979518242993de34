/**
 * The audit service the gateway wires up: keys, the durable log, its sink, reader, verify,
 * CSV, key rotation and GDPR export/erase. `db` (with AUDIT_MIGRATIONS applied) enables
 * per-subject keys and the sqlite head (truncation detection, see head.ts); without it, events
 * carrying a `subject` are refused and only checkpoints detect truncation.
 */
import type { KeyObject } from 'node:crypto';
import type { DatabaseSync } from 'node:sqlite';
import type { EventSink } from '../events.ts';
import type { AuditError, AuditLogger } from './errors.ts';
import { eraseSubject, exportSubject } from './gdpr.ts';
import { createHeadStore, openHeadConnection, type AuditIncident, type HeadStore } from './head.ts';
import { loadAuditKeyring } from './keys.ts';
import { openAuditLog, type AuditLog } from './log.ts';
import type { AuditEntry } from './payload.ts';
import { readEntries, verifyAuditLog, type ReadQuery, type ReadSource } from './reader.ts';
import { createAuditSink } from './sink.ts';
import { loadSigningKey } from './signing.ts';
import { createSubjectKeyStore, type SubjectKeyStore } from './subjects.ts';
import type { VerifyResult } from './verify.ts';

export interface AuditServiceOptions {
  readonly dataDir: string;
  /** PALISADE_AUDIT_KEY (64 hex), already validated by config */
  readonly configKeyHex?: string;
  readonly db?: DatabaseSync;
  readonly logger: AuditLogger;
  readonly checkpointEvery?: number;
  readonly checkpointIntervalMs?: number;
  /** fired when a write or fsync fails (for alerts); the append itself rejects */
  readonly onFailure?: (error: AuditError) => void;
  /** a checkpoint public key pinned outside the data dir; defaults to the one beside the key */
  readonly pinnedPublicKey?: KeyObject;
  /** fired when verify finds the log damaged (the incidents found at open are in log.incidents) */
  readonly onDamage?: (result: VerifyResult) => void;
}

export interface AuditService {
  readonly log: AuditLog;
  readonly sink: EventSink;
  readonly source: ReadSource;
  read(query: ReadQuery): Promise<AuditEntry[]>;
  verify(): Promise<VerifyResult>;
  /** every recorded damage incident (empty without a database) */
  incidents(): AuditIncident[];
  rotateKey(): string;
  exportSubject(subject: string): Promise<AuditEntry[]>;
  eraseSubject(subject: string): Promise<{ audit_entries: number }>;
  close(): Promise<void>;
}

export function openAudit(options: AuditServiceOptions): AuditService {
  const { dataDir, logger } = options;
  const keyring = loadAuditKeyring({ dataDir, logger, ...(options.configKeyHex !== undefined ? { configKeyHex: options.configKeyHex } : {}) });
  const signingKey = loadSigningKey(dataDir, logger);
  const subjects: SubjectKeyStore | null = options.db === undefined ? null : createSubjectKeyStore(options.db);
  const headDb = options.db === undefined ? null : openHeadConnection(options.db);
  const head: HeadStore | null = options.db === undefined || headDb === null ? null : createHeadStore(options.db, headDb);
  let log: AuditLog;
  try {
    log = openAuditLog({
      dataDir, keyring, signingKey, logger,
      ...(subjects !== null ? { subjects } : {}),
      ...(head !== null ? { head } : {}),
      ...(options.checkpointEvery !== undefined ? { checkpointEvery: options.checkpointEvery } : {}),
      ...(options.checkpointIntervalMs !== undefined ? { checkpointIntervalMs: options.checkpointIntervalMs } : {}),
      ...(options.onFailure !== undefined ? { onFailure: options.onFailure } : {}),
    });
  } catch (error) {
    if (headDb !== null && headDb !== options.db) headDb.close();
    throw error;
  }
  let lastDamage = '';
  const source: ReadSource = { dataDir, keys: keyring.keys, subjects, durableSize: () => log.durableSize() };
  const needSubjects = (): SubjectKeyStore => {
    if (subjects === null) throw new Error('audit service opened without a database: no subject keys');
    return subjects;
  };
  return {
    log, source,
    sink: createAuditSink(log),
    read: (query) => readEntries(source, query),
    verify: async () => {
      const result = await verifyAuditLog(dataDir, keyring.keys, options.pinnedPublicKey ?? signingKey.publicKey, log, head);
      // one alert per distinct finding, not one per verify call (an admin may poll verify)
      const key = result.ok ? '' : JSON.stringify([result.reason, result.first_bad_seq, result.missing]);
      if (!result.ok && key !== lastDamage) {
        try {
          options.onDamage?.(result);
        } catch {
          // a failing alert hook must not hide the result
        }
      }
      lastDamage = key;
      return result;
    },
    incidents: () => head?.incidents() ?? [],
    rotateKey: () => log.rotateKey(),
    exportSubject: async (subject) => exportSubject(source, needSubjects(), subject),
    eraseSubject: async (subject) => eraseSubject(source, needSubjects(), subject),
    close: async () => {
      await log.close();
      if (headDb !== null && headDb !== options.db && headDb.isOpen) headDb.close();
    },
  };
}

export { AUDIT_MIGRATIONS } from './schema.ts';
export { toCsv } from './csv.ts';
export { parseAuditQuery, type AuditQueryResult } from './query.ts';
export { createShipper, type PostFn, type Shipper, type ShipperOptions } from './shipper.ts';
export { AuditError, type AuditLogger } from './errors.ts';
export type { AuditEntry } from './payload.ts';
export type { ReadQuery } from './reader.ts';
export type { VerifyResult } from './verify.ts';
export { createHeadStore, type AuditHead, type AuditIncident, type HeadStore } from './head.ts';
