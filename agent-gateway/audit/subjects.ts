/**
 * Per-subject keys for GDPR crypto-shredding. The audit line stores a keyed hash of the
 * subject (HMAC-SHA256 under a key kept in sqlite) and the subject value plus personal data
 * fields encrypted under that subject's own key. Erasing destroys the key: the fields become
 * unreadable while the line, its GCM tag and the hash chain still verify.
 */
import { createCipheriv, createDecipheriv, createHmac, createSecretKey, randomBytes } from 'node:crypto';
import type { DatabaseSync } from 'node:sqlite';
import { aesKey } from './aes-key.ts';

export interface SealedSubject {
  readonly iv: string;
  readonly ct: string;
  readonly tag: string;
}

export interface SubjectKeyStore {
  hash(subject: string): string;
  /** the subject's key, created on first use */
  keyFor(subject: string): { hash: string; key: Buffer };
  /** null once erased (or never created) */
  keyByHash(hash: string): Buffer | null;
  /** deletes the subject's key; true if one existed */
  destroy(subject: string): boolean;
}

/** subjects whose key Buffer is kept for reuse (a bound, not a working-set guess) */
const SEEN_MAX = 4096;

export function createSubjectKeyStore(db: DatabaseSync): SubjectKeyStore {
  db.prepare("INSERT OR IGNORE INTO audit_meta (name, value) VALUES ('subject_hmac_key', ?)").run(randomBytes(32));
  const row = db.prepare("SELECT value FROM audit_meta WHERE name = 'subject_hmac_key'").get();
  const hmacKey = row?.['value'];
  if (!(hmacKey instanceof Uint8Array) || hmacKey.length !== 32) throw new Error('audit_meta subject_hmac_key is malformed');
  const insert = db.prepare('INSERT OR IGNORE INTO audit_subject_keys (subject_hash, key, created_at) VALUES (?, ?, ?)');
  const select = db.prepare('SELECT key FROM audit_subject_keys WHERE subject_hash = ?');
  const remove = db.prepare('DELETE FROM audit_subject_keys WHERE subject_hash = ?');
  // a KeyObject made once: createHmac with raw bytes re-imports the key on every event (issue 23)
  const hmacKeyObject = createSecretKey(hmacKey);
  const hash = (subject: string): string => createHmac('sha256', hmacKeyObject).update(subject, 'utf8').digest('hex');
  // sqlite stays the truth (an erase by another process is seen at the next line); the same
  // Buffer object comes back while the stored bytes are unchanged, so aesKey() imports it once
  const seen = new Map<string, Buffer>();
  const keyByHash = (h: string): Buffer | null => {
    const value = select.get(h)?.['key'];
    if (!(value instanceof Uint8Array) || value.length !== 32) {
      seen.delete(h);
      return null;
    }
    const known = seen.get(h);
    if (known !== undefined && known.equals(value)) return known;
    if (seen.size >= SEEN_MAX) seen.clear();
    const key = Buffer.from(value);
    seen.set(h, key);
    return key;
  };
  return {
    hash,
    keyByHash,
    keyFor(subject) {
      const h = hash(subject);
      // the subject's key usually exists: read first, write (a sqlite commit) only for a new subject
      let key = keyByHash(h);
      if (key !== null) return { hash: h, key };
      insert.run(h, randomBytes(32), Date.now());
      key = keyByHash(h);
      if (key === null) throw new Error('subject key missing after insert');
      return { hash: h, key };
    },
    destroy(subject) {
      const h = hash(subject);
      seen.delete(h);
      return Number(remove.run(h).changes) > 0;
    },
  };
}

function aad(hash: string): Buffer {
  return Buffer.from(`palisade-audit-subject-v1\n${hash}`, 'utf8');
}

export function sealForSubject(key: Buffer, hash: string, plaintext: string): SealedSubject {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', aesKey(key), iv, { authTagLength: 16 });
  cipher.setAAD(aad(hash));
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return { iv: iv.toString('base64'), ct: ct.toString('base64'), tag: cipher.getAuthTag().toString('base64') };
}

export function openForSubject(key: Buffer, hash: string, sealed: SealedSubject): string | null {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.iv, 'base64'), { authTagLength: 16 });
    decipher.setAAD(aad(hash));
    decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(sealed.ct, 'base64')), decipher.final()]).toString('utf8');
  } catch {
    return null;
  }
}
