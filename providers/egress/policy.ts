/**
 * Pure egress decisions. An origin is `scheme://host:port` with the scheme http or https, the
 * host as the WHATWG URL parser normalizes it (lowercase, IDNA to punycode, numeric IPv4
 * forms such as 2130706433, 0x7f.1, 0177.0.0.1 or 127.1 turned into dotted quads, IPv6
 * compressed and bracketed) and the port always explicit. Matching is exact string equality
 * on that form: no suffix, wildcard or prefix matching.
 */
import { classifyAddress, type AddressClass } from './ip.ts';

export type EgressDenyCode =
  | 'EGRESS_BAD_URL'
  | 'EGRESS_SCHEME'
  | 'EGRESS_USERINFO'
  | 'EGRESS_NOT_ALLOWLISTED'
  | 'EGRESS_ADDRESS'
  | 'EGRESS_NO_ADDRESS';

export type Denied = { ok: false; code: EgressDenyCode; reason: string };

export interface NormalizedOrigin {
  readonly scheme: 'http' | 'https';
  /** URL hostname form: IPv6 stays bracketed */
  readonly host: string;
  readonly port: number;
  /** canonical `scheme://host:port` */
  readonly origin: string;
  /** the host is an IP literal (after numeric-form normalization) */
  readonly ipLiteral: boolean;
}

export type Allowlist = ReadonlySet<string>;

const MAX_URL_LENGTH = 2048;

export function parseHttpUrl(input: string): { ok: true; url: URL; origin: NormalizedOrigin } | Denied {
  if (typeof input !== 'string' || input.length === 0 || input.length > MAX_URL_LENGTH) {
    return { ok: false, code: 'EGRESS_BAD_URL', reason: 'empty or too long' };
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0020\u007f\\]/.test(input)) return { ok: false, code: 'EGRESS_BAD_URL', reason: 'control, space or backslash' };
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return { ok: false, code: 'EGRESS_BAD_URL', reason: 'unparseable' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { ok: false, code: 'EGRESS_SCHEME', reason: `scheme ${url.protocol.slice(0, 16)}` };
  }
  if (url.username !== '' || url.password !== '' || /^[a-z]+:\/\/[^/?#]*@/i.test(input)) {
    return { ok: false, code: 'EGRESS_USERINFO', reason: 'userinfo in URL' };
  }
  const host = url.hostname;
  if (host === '') return { ok: false, code: 'EGRESS_BAD_URL', reason: 'no host' };
  const scheme = url.protocol === 'https:' ? 'https' : 'http';
  const port = url.port === '' ? (scheme === 'https' ? 443 : 80) : Number(url.port);
  const ipLiteral = classifyAddress(host) !== 'invalid';
  return { ok: true, url, origin: { scheme, host, port, origin: `${scheme}://${host}:${port}`, ipLiteral } };
}

/** Parses configured allowlist entries: each must be a bare origin (no path, query, userinfo). */
export function parseAllowlist(entries: readonly string[]): { ok: true; allowlist: Allowlist } | { ok: false; problems: string[] } {
  const problems: string[] = [];
  const set = new Set<string>();
  for (const raw of entries) {
    const entry = raw.trim();
    if (entry === '') continue;
    const parsed = parseHttpUrl(entry);
    if (!parsed.ok) {
      problems.push(`allowlist entry ${JSON.stringify(entry.slice(0, 80))}: ${parsed.reason}`);
      continue;
    }
    const { url } = parsed;
    if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '') {
      problems.push(`allowlist entry ${JSON.stringify(entry.slice(0, 80))}: must be an origin without path`);
      continue;
    }
    set.add(parsed.origin.origin);
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, allowlist: set };
}

/** URL-level check: scheme, userinfo, exact-origin allowlist membership. */
export function checkUrl(input: string, allowlist: Allowlist): { ok: true; url: URL; origin: NormalizedOrigin } | Denied {
  const parsed = parseHttpUrl(input);
  if (!parsed.ok) return parsed;
  if (!allowlist.has(parsed.origin.origin)) {
    return { ok: false, code: 'EGRESS_NOT_ALLOWLISTED', reason: `origin ${parsed.origin.origin.slice(0, 300)} not allowlisted` };
  }
  return parsed;
}

/** Ranges that no configuration can open: cloud metadata, unspecified, multicast, broadcast. */
const NEVER: ReadonlySet<AddressClass> = new Set(['metadata', 'unspecified', 'multicast', 'broadcast', 'invalid']);

export interface AddressContext {
  /**
   * True only when the request's host is this very IP literal and that exact origin is in the
   * allowlist (e.g. `http://127.0.0.1:11434` for a local Ollama). Hostnames never set this.
   */
  readonly originExplicitlyAllowlisted: boolean;
  /** private addresses an operator explicitly trusts for allowlisted hostnames */
  readonly trustedAddresses?: ReadonlySet<string>;
}

/** Address-level check, applied to every resolved address right before connecting. */
export function checkAddress(ip: string, context: AddressContext): { ok: true; cls: AddressClass } | Denied {
  const cls = classifyAddress(ip);
  if (cls === 'public') return { ok: true, cls };
  if (NEVER.has(cls)) return { ok: false, code: 'EGRESS_ADDRESS', reason: `address class ${cls}` };
  if (context.originExplicitlyAllowlisted) return { ok: true, cls };
  if (context.trustedAddresses?.has(canonicalIp(ip))) return { ok: true, cls };
  return { ok: false, code: 'EGRESS_ADDRESS', reason: `address class ${cls}` };
}

/** Canonical textual form of an IP (as the URL parser prints it, without brackets). */
export function canonicalIp(ip: string): string {
  const bare = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
  try {
    const host = new URL(`http://${bare.includes(':') ? `[${bare}]` : bare}/`).hostname;
    return host.startsWith('[') ? host.slice(1, -1) : host;
  } catch {
    return bare;
  }
}
