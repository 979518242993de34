/**
 * Read-only access to the audit log for the CLI: the keyring (PALISADE_AUDIT_KEY and/or
 * <data>/audit.key), the checkpoint public key (<data>/audit-signing.pub or a pinned file)
 * and the per-subject keys and audit head from sqlite. Never generates a key: a missing key is
 * an error.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import type { Config } from '../../agent-gateway/config.ts';
import { auditLogFile } from '../../agent-gateway/audit/files.ts';
import { createHeadStore, type HeadStore } from '../../agent-gateway/audit/head.ts';
import { auditKeyFile, loadAuditKeyring } from '../../agent-gateway/audit/keys.ts';
import type { ReadSource } from '../../agent-gateway/audit/reader.ts';
import { loadSigningPublicKey } from '../../agent-gateway/audit/signing.ts';
import { createSubjectKeyStore } from '../../agent-gateway/audit/subjects.ts';
import { MIGRATIONS } from '../../agent-gateway/migrations.ts';
import { openDatabase } from '../../agent-gateway/store/db.ts';
import { CliError, EXIT, type Io } from './types.ts';

export interface AuditSource {
  readonly source: ReadSource;
  /** true when audit/audit.jsonl exists */
  readonly hasLog: boolean;
  /** the sqlite head and incident register (null without a database) */
  readonly head: HeadStore | null;
  /** the sqlite state itself, for writes that must be audited through the outbox */
  readonly db: DatabaseSync | null;
  close(): void;
}

const fail = (message: string): CliError => new CliError(EXIT.RUNTIME, message);

export function openAuditSource(config: Config, io: Io): AuditSource {
  const { dataDir } = config;
  if (!existsSync(dataDir) || !statSync(dataDir).isDirectory()) throw fail(`no data directory at ${dataDir} (set PALISADE_DATA_DIR)`);
  const hasLog = existsSync(auditLogFile(dataDir));
  const hasKeyFile = existsSync(auditKeyFile(dataDir));
  let keys: ReadonlyMap<string, Buffer> = new Map();
  if (hasKeyFile || config.auditKeyHex !== undefined) {
    try {
      keys = loadAuditKeyring({
        dataDir,
        ...(config.auditKeyHex === undefined ? {} : { configKeyHex: config.auditKeyHex }),
        logger: { warn: (msg) => io.err(`palisade: warning: ${msg}\n`) },
      }).keys;
    } catch (error) {
      throw fail(`cannot load the audit key: ${(error as Error).message}`);
    }
  } else if (hasLog) {
    throw fail(`no audit key: set PALISADE_AUDIT_KEY or restore ${auditKeyFile(dataDir)} from your backup`);
  }
  let db: DatabaseSync | null = null;
  if (existsSync(join(dataDir, 'palisade.db'))) {
    try {
      db = openDatabase(dataDir, MIGRATIONS);
    } catch (error) {
      throw fail(`cannot open the database in ${dataDir}: ${(error as Error).message}`);
    }
  }
  const subjects = db === null ? null : createSubjectKeyStore(db);
  const head = db === null ? null : createHeadStore(db);
  return { source: { dataDir, keys, subjects }, hasLog, head, db, close: () => db?.close() };
}

/** The checkpoint public key: a pinned PEM file when given, else the one in the data dir. */
export function checkpointPublicKey(dataDir: string, pinnedFile: string | undefined): KeyObject | null {
  if (pinnedFile === undefined) return loadSigningPublicKey(dataDir);
  let key: KeyObject;
  try {
    key = createPublicKey(readFileSync(pinnedFile, 'utf8'));
  } catch (error) {
    throw fail(`cannot read the public key ${pinnedFile}: ${(error as Error).message}`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw fail(`${pinnedFile} is not an Ed25519 public key`);
  return key;
}
