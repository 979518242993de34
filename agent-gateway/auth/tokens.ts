/**
 * Opaque bearer tokens: a type prefix and 32 random bytes (base64url). Only the SHA-256
 * of a token is ever stored; lookups go by that hash and confirm with timingSafeEqual.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export type TokenKind = 'access' | 'refresh' | 'agent' | 'setup' | 'device';

const PREFIX: Record<TokenKind, string> = { access: 'pal_at_', refresh: 'pal_rt_', agent: 'pal_ag_', setup: 'pal_su_', device: 'pal_dv_' };
const TOKEN_RE = /^pal_(at|rt|ag|su|dv)_[A-Za-z0-9_-]{43}$/;

export function newToken(kind: TokenKind): string {
  return PREFIX[kind] + randomBytes(32).toString('base64url');
}

export function tokenKind(token: string): TokenKind | undefined {
  const m = TOKEN_RE.exec(token);
  if (!m) return undefined;
  switch (m[1]) {
    case 'at': return 'access';
    case 'rt': return 'refresh';
    case 'ag': return 'agent';
    case 'su': return 'setup';
    case 'dv': return 'device';
    default: return undefined;
  }
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

/** Extracts the token from `Authorization: Bearer <token>`; undefined when absent. */
export function bearerToken(header: string | undefined): { present: boolean; token: string | undefined } {
  if (header === undefined || header === '') return { present: false, token: undefined };
  const m = /^Bearer ([\x21-\x7e]{1,512})$/.exec(header);
  return { present: true, token: m?.[1] };
}
