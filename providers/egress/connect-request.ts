/**
 * Pure parts of the egress tunnel (tunnel.ts): reading one HTTP CONNECT request head and
 * writing the tunnel's answers. Nothing here touches a socket or the policy.
 *
 * Accepted: exactly `CONNECT <host>:<port> HTTP/1.1` (or HTTP/1.0), then header lines, then an
 * empty line, the whole head at most MAX_HEAD_BYTES. The host is a DNS name (letters, digits,
 * `-`, `.`, `_`), a dotted IPv4 or a bracketed IPv6; the port 1-65535 in decimal without
 * leading zeros. Anything else (an absolute-form `GET http://…` a proxy would forward, another
 * method, userinfo, a path, control characters, a head without its end within the cap) is
 * refused: the tunnel carries bytes to a checked destination and never interprets a request.
 * Header lines are not read (Proxy-Authorization and the like mean nothing here).
 */
import { parseHttpUrl } from './policy.ts';

/** cap of the CONNECT head (request line and headers) */
export const MAX_HEAD_BYTES = 8 * 1024;

export interface ConnectTarget {
  /** as the client wrote it (IPv6 without brackets) */
  readonly host: string;
  readonly port: number;
}

export type HeadRefusal = 'TUNNEL_BAD_REQUEST' | 'TUNNEL_NOT_CONNECT' | 'TUNNEL_HEAD_TOO_LARGE';

export type HeadResult =
  | { readonly state: 'incomplete' }
  | { readonly state: 'refused'; readonly reason: HeadRefusal }
  | { readonly state: 'connect'; readonly target: ConnectTarget; /** bytes after the head (the client did not wait for 200) */ readonly rest: Buffer };

const HEAD_END = Buffer.from('\r\n\r\n');
const NAME = /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?$/;
const IPV6 = /^\[([0-9A-Fa-f:.]{2,45})\]$/;
const PORT = /^(?:[1-9][0-9]{0,4})$/;

/** Parses the request line `CONNECT host:port HTTP/1.x`. */
export function parseConnectLine(line: string): { ok: true; target: ConnectTarget } | { ok: false; reason: HeadRefusal } {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(line)) return { ok: false, reason: 'TUNNEL_BAD_REQUEST' };
  const parts = line.split(' ');
  if (parts.length !== 3) return { ok: false, reason: 'TUNNEL_BAD_REQUEST' };
  const [method, authority, version] = parts as [string, string, string];
  if (method !== 'CONNECT') return { ok: false, reason: 'TUNNEL_NOT_CONNECT' };
  if (version !== 'HTTP/1.1' && version !== 'HTTP/1.0') return { ok: false, reason: 'TUNNEL_BAD_REQUEST' };
  const colon = authority.lastIndexOf(':');
  if (colon <= 0) return { ok: false, reason: 'TUNNEL_BAD_REQUEST' };
  const rawHost = authority.slice(0, colon);
  const rawPort = authority.slice(colon + 1);
  if (!PORT.test(rawPort) || Number(rawPort) > 65_535) return { ok: false, reason: 'TUNNEL_BAD_REQUEST' };
  const v6 = IPV6.exec(rawHost);
  const host = v6 !== null ? v6[1]! : rawHost;
  if (v6 === null && !NAME.test(rawHost)) return { ok: false, reason: 'TUNNEL_BAD_REQUEST' };
  return { ok: true, target: { host, port: Number(rawPort) } };
}

/** Looks for a complete CONNECT head in what the client sent so far. */
export function readConnectHead(received: Buffer): HeadResult {
  const end = received.indexOf(HEAD_END);
  if (end === -1) {
    if (received.length >= MAX_HEAD_BYTES) return { state: 'refused', reason: 'TUNNEL_HEAD_TOO_LARGE' };
    // a request line that is already not a CONNECT need not wait for the rest
    const firstLine = received.subarray(0, Math.min(received.length, 8)).toString('latin1');
    if (firstLine.length >= 8 && !firstLine.startsWith('CONNECT ')) return { state: 'refused', reason: 'TUNNEL_NOT_CONNECT' };
    return { state: 'incomplete' };
  }
  if (end + HEAD_END.length > MAX_HEAD_BYTES) return { state: 'refused', reason: 'TUNNEL_HEAD_TOO_LARGE' };
  const head = received.subarray(0, end).toString('latin1');
  const line = head.split('\r\n', 1)[0] ?? '';
  const parsed = parseConnectLine(line);
  if (!parsed.ok) return { state: 'refused', reason: parsed.reason };
  return { state: 'connect', target: parsed.target, rest: Buffer.from(received.subarray(end + HEAD_END.length)) };
}

/**
 * The origins a CONNECT to host:port can stand for, in the allowlist's normalized form. A tunnel
 * carries bytes, not a scheme: it is allowed when `https://host:port` or `http://host:port` is
 * allowlisted (same host, same port: the same destination). Returns the target for the policy's
 * `pinnedAddresses` (https when that origin is listed, else http, which the policy then refuses
 * unless it is listed), or undefined when the host is not a valid URL host at all.
 */
export function policyTarget(target: ConnectTarget, allowlist: ReadonlySet<string>): { hostname: string; protocol: 'https:' | 'http:'; port: string } | undefined {
  const host = target.host.includes(':') ? `[${target.host}]` : target.host;
  const https = parseHttpUrl(`https://${host}:${target.port}/`);
  if (!https.ok) return undefined;
  const hostname = https.url.hostname.startsWith('[') ? https.url.hostname.slice(1, -1) : https.url.hostname;
  const protocol = allowlist.has(`https://${https.url.hostname}:${target.port}`) ? 'https:' : 'http:';
  return { hostname, protocol, port: String(target.port) };
}

const REASONS: Readonly<Record<number, string>> = {
  400: 'Bad Request', 403: 'Forbidden', 408: 'Request Timeout', 431: 'Request Header Fields Too Large',
  502: 'Bad Gateway', 503: 'Service Unavailable',
};

/** The tunnel's refusal: status, the EGR_ERR code in a header and in the one body line, then close. */
export function refusalResponse(status: number, code: string, reason: string): string {
  const body = `${code}: ${reason}\n`;
  return `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\nx-palisade-egress: ${code}\r\ncontent-type: text/plain\r\n`
    + `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`;
}

export const ESTABLISHED = 'HTTP/1.1 200 Connection Established\r\n\r\n';
