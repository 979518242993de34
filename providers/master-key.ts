/**
 * The 32-byte master key that encrypts provider keys at rest: from config (64 hex chars) or a
 * generated key file `provider-master.key` (0600) in the data dir, created once and reused.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const MASTER_KEY_FILE = 'provider-master.key';
const HEX64 = /^[0-9a-fA-F]{64}$/;

export type MasterKeyResult = { ok: true; key: Buffer; source: 'config' | 'file' | 'generated' } | { ok: false; problem: string };

export function loadMasterKey(options: { configHex?: string; dataDir: string }): MasterKeyResult {
  if (options.configHex !== undefined && options.configHex !== '') {
    if (!HEX64.test(options.configHex)) return { ok: false, problem: 'provider master key must be 64 hex characters' };
    return { ok: true, key: Buffer.from(options.configHex, 'hex'), source: 'config' };
  }
  if (!existsSync(options.dataDir)) mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const file = join(options.dataDir, MASTER_KEY_FILE);
  if (existsSync(file)) {
    const mode = statSync(file).mode & 0o777;
    if ((mode & 0o077) !== 0) return { ok: false, problem: `${MASTER_KEY_FILE} is readable by group or others (mode ${mode.toString(8)}); chmod 600 it` };
    const text = readFileSync(file, 'utf8').trim();
    if (!HEX64.test(text)) return { ok: false, problem: `${MASTER_KEY_FILE} does not hold 64 hex characters` };
    return { ok: true, key: Buffer.from(text, 'hex'), source: 'file' };
  }
  const key = randomBytes(32);
  writeFileSync(file, `${key.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return { ok: true, key, source: 'generated' };
}
