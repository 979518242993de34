/**
 * Password hashing: PBKDF2-HMAC-SHA256 with a per-user 16-byte salt; the algorithm and
 * iteration count are stored beside the hash so they can be raised later. Runs on the
 * libuv pool (async), compares with timingSafeEqual. Lengths are capped by the callers'
 * validation (≤ 1024 chars), so one login costs at most one capped hash.
 */
import { pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const pbkdf2Raw = promisify(pbkdf2);
const KEY_BYTES = 32;

let derivations = 0;
/** PBKDF2 derivations started by this process (a throttled login must not add one) */
export function pbkdf2Derivations(): number {
  return derivations;
}
const pbkdf2Async = (password: string, salt: Buffer, iterations: number, keylen: number, digest: string): Promise<Buffer> => {
  derivations += 1;
  return pbkdf2Raw(password, salt, iterations, keylen, digest);
};

export interface StoredPassword {
  readonly algo: 'pbkdf2-sha256';
  readonly iterations: number;
  readonly salt: string;
  readonly hash: string;
}

export async function hashPassword(password: string, iterations: number): Promise<StoredPassword> {
  const salt = randomBytes(16);
  const hash = await pbkdf2Async(password.normalize('NFC'), salt, iterations, KEY_BYTES, 'sha256');
  return { algo: 'pbkdf2-sha256', iterations, salt: salt.toString('base64'), hash: hash.toString('base64') };
}

export async function verifyPassword(password: string, stored: StoredPassword): Promise<boolean> {
  if (stored.algo !== 'pbkdf2-sha256') return false;
  const expected = Buffer.from(stored.hash, 'base64');
  const actual = await pbkdf2Async(password.normalize('NFC'), Buffer.from(stored.salt, 'base64'), stored.iterations, expected.length || KEY_BYTES, 'sha256');
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** Used for unknown usernames so their login costs the same one hash as a known one. */
let dummy: Promise<StoredPassword> | undefined;
export function dummyPassword(iterations: number): Promise<StoredPassword> {
  dummy ??= hashPassword(randomBytes(16).toString('hex'), iterations);
  return dummy;
}
