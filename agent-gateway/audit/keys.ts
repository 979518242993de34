/**
 * Audit keys. The AES-256-GCM audit key comes from config (64 hex chars) or, when absent,
 * from a generated key file `<dataDir>/audit.key` (0600, dir 0700) created once with a loud
 * warning and loaded again on every start: never an ephemeral key. The file is a keyring
 * `{v, current, base, keys:{kid: hex}}`: `rotateAuditKey` adds a new kid that new lines use,
 * while old kids stay readable. A config key is never written to disk; its kid is derived
 * from its fingerprint so it is stable across starts.
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { AuditError, type AuditLogger } from './errors.ts';
import { ensurePrivateDir, writeFileDurable } from './fsutil.ts';

export interface AuditKeyring {
  /** kid used for new lines */
  current: string;
  readonly keys: Map<string, Buffer>;
  /** kid of the config-provided key, when one was given (never persisted) */
  readonly configKid: string | null;
}

export interface LoadKeyringOptions {
  readonly dataDir: string;
  /** PALISADE_AUDIT_KEY, already validated by config */
  readonly configKeyHex?: string;
  readonly logger: AuditLogger;
}

const KID_RE = /^[A-Za-z0-9_-]{1,64}$/;
const HEX64_RE = /^[0-9a-fA-F]{64}$/;

export function auditKeyFile(dataDir: string): string {
  return join(dataDir, 'audit.key');
}

export function configKid(key: Buffer): string {
  return `cfg-${createHash('sha256').update('palisade-audit-kid').update(key).digest('hex').slice(0, 12)}`;
}

interface KeyFile {
  current: string;
  base: string | null;
  keys: Map<string, Buffer>;
}

function parseKeyFile(text: string): KeyFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new AuditError('AUDIT_ERR_KEYFILE', 'not JSON');
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new AuditError('AUDIT_ERR_KEYFILE');
  const o = raw as Record<string, unknown>;
  if (o['v'] !== 1 || typeof o['current'] !== 'string' || !KID_RE.test(o['current'])) {
    throw new AuditError('AUDIT_ERR_KEYFILE', 'bad version or current kid');
  }
  const base = o['base'];
  if (base !== null && (typeof base !== 'string' || !KID_RE.test(base))) throw new AuditError('AUDIT_ERR_KEYFILE', 'bad base');
  const keysRaw = o['keys'];
  if (keysRaw === null || typeof keysRaw !== 'object' || Array.isArray(keysRaw)) throw new AuditError('AUDIT_ERR_KEYFILE', 'bad keys');
  const keys = new Map<string, Buffer>();
  for (const [kid, hex] of Object.entries(keysRaw as Record<string, unknown>)) {
    if (!KID_RE.test(kid) || typeof hex !== 'string' || !HEX64_RE.test(hex)) throw new AuditError('AUDIT_ERR_KEYFILE', `bad key entry ${JSON.stringify(kid.slice(0, 64))}`);
    keys.set(kid, Buffer.from(hex, 'hex'));
  }
  return { current: o['current'], base, keys };
}

function writeKeyFile(dataDir: string, file: KeyFile): void {
  const keys: Record<string, string> = {};
  for (const [kid, key] of file.keys) keys[kid] = key.toString('hex');
  writeFileDurable(auditKeyFile(dataDir), `${JSON.stringify({ v: 1, current: file.current, base: file.base, keys })}\n`, 0o600);
}

function readKeyFile(dataDir: string, logger: AuditLogger): KeyFile | null {
  const path = auditKeyFile(dataDir);
  if (!existsSync(path)) return null;
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    logger.warn('audit key file was readable by group/others; permissions reset to 0600', { path, mode: mode.toString(8) });
    chmodSync(path, 0o600);
  }
  return parseKeyFile(readFileSync(path, 'utf8'));
}

function newKid(): string {
  return `k-${randomBytes(6).toString('hex')}`;
}

export function loadAuditKeyring(options: LoadKeyringOptions): AuditKeyring {
  const { dataDir, logger } = options;
  ensurePrivateDir(dataDir);
  let cfg: { kid: string; key: Buffer } | null = null;
  if (options.configKeyHex !== undefined) {
    if (!HEX64_RE.test(options.configKeyHex)) throw new AuditError('AUDIT_ERR_BAD_KEY');
    const key = Buffer.from(options.configKeyHex, 'hex');
    cfg = { kid: configKid(key), key };
  }
  const file = readKeyFile(dataDir, logger);
  const keys = new Map<string, Buffer>(file?.keys ?? []);
  if (cfg !== null) keys.set(cfg.kid, cfg.key);
  if (cfg === null && file === null) {
    const kid = newKid();
    const key = randomBytes(32);
    writeKeyFile(dataDir, { current: kid, base: null, keys: new Map([[kid, key]]) });
    logger.warn(
      'PALISADE_AUDIT_KEY is not set: generated an audit key file. Back it up and keep it secret; without it the audit log cannot be read.',
      { path: auditKeyFile(dataDir), kid },
    );
    return { current: kid, keys: new Map([[kid, key]]), configKid: null };
  }
  let current: string;
  if (file === null) current = (cfg as { kid: string }).kid;
  else if (cfg === null || file.base === cfg.kid) current = file.current;
  else current = cfg.kid; // a different config key was configured after the last rotation: it wins
  if (!keys.has(current)) throw new AuditError('AUDIT_ERR_KEYFILE', `current kid ${current} has no key`);
  if (file?.base != null && !keys.has(file.base)) {
    logger.warn('the audit key file was rotated from a config key that is no longer configured; its lines are unreadable', { kid: file.base });
  }
  return { current, keys, configKid: cfg?.kid ?? null };
}

/** Adds a new key under a new kid, persists it (0600) and makes it current. Returns the kid. */
export function rotateAuditKey(dataDir: string, keyring: AuditKeyring, logger: AuditLogger): string {
  const persisted = readKeyFile(dataDir, logger);
  const keys = new Map<string, Buffer>(persisted?.keys ?? []);
  const kid = newKid();
  const key = randomBytes(32);
  keys.set(kid, key);
  writeKeyFile(dataDir, { current: kid, base: keyring.configKid ?? persisted?.base ?? null, keys });
  keyring.keys.set(kid, key);
  keyring.current = kid;
  return kid;
}
