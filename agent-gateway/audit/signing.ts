/**
 * The Ed25519 checkpoint signing key, separate from the audit encryption key:
 * `<dataDir>/audit-signing.key` (PKCS#8 PEM, 0600) with its public key beside it in
 * `audit-signing.pub` (SPKI PEM). Generated once, loaded on every start.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { AuditLogger } from './errors.ts';
import { ensurePrivateDir, writeFileDurable } from './fsutil.ts';

export interface SigningKey {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

export function signingKeyFile(dataDir: string): string {
  return join(dataDir, 'audit-signing.key');
}
export function signingPublicKeyFile(dataDir: string): string {
  return join(dataDir, 'audit-signing.pub');
}

/** Short stable id of a public key (sha256 of its SPKI DER). */
export function publicKeyId(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ format: 'der', type: 'spki' })).digest('hex').slice(0, 16);
}

export function loadSigningKey(dataDir: string, logger: AuditLogger): SigningKey {
  ensurePrivateDir(dataDir);
  const keyPath = signingKeyFile(dataDir);
  const pubPath = signingPublicKeyFile(dataDir);
  let privateKey: KeyObject;
  if (existsSync(keyPath)) {
    if ((statSync(keyPath).mode & 0o077) !== 0) {
      logger.warn('audit signing key was readable by group/others; permissions reset to 0600', { path: keyPath });
      chmodSync(keyPath, 0o600);
    }
    privateKey = createPrivateKey(readFileSync(keyPath, 'utf8'));
    if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error('audit signing key is not Ed25519');
  } else {
    privateKey = generateKeyPairSync('ed25519').privateKey;
    writeFileDurable(keyPath, privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, 0o600);
    logger.warn('generated the audit checkpoint signing key; back it up with the audit key', { path: keyPath });
  }
  const publicKey = createPublicKey(privateKey);
  const pem = publicKey.export({ format: 'pem', type: 'spki' }) as string;
  if (!existsSync(pubPath) || readFileSync(pubPath, 'utf8') !== pem) writeFileDurable(pubPath, pem, 0o644);
  return { privateKey, publicKey };
}

/** Loads only the public key (for verification by a reader that must not sign). */
export function loadSigningPublicKey(dataDir: string): KeyObject | null {
  const pubPath = signingPublicKeyFile(dataDir);
  if (!existsSync(pubPath)) return null;
  const key = createPublicKey(readFileSync(pubPath, 'utf8'));
  return key.asymmetricKeyType === 'ed25519' ? key : null;
}
