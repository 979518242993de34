/** AES-256-GCM sealing of one provider key, bound to its provider name as additional data. */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export interface Sealed {
  readonly iv: Uint8Array;
  readonly tag: Uint8Array;
  readonly ciphertext: Uint8Array;
}

const aad = (provider: string): Buffer => Buffer.from(`palisade-provider-key:v1:${provider}`);

export function seal(masterKey: Buffer, provider: string, plaintext: string): Sealed {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', masterKey, iv);
  cipher.setAAD(aad(provider));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return { iv, tag: cipher.getAuthTag(), ciphertext };
}

/** Throws if the master key is wrong or the row was altered or moved to another provider. */
export function open(masterKey: Buffer, provider: string, sealed: Sealed): string {
  const decipher = createDecipheriv('aes-256-gcm', masterKey, sealed.iv);
  decipher.setAAD(aad(provider));
  decipher.setAuthTag(sealed.tag);
  return Buffer.concat([decipher.update(sealed.ciphertext), decipher.final()]).toString('utf8');
}
