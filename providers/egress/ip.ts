/**
 * Pure IP address classification for egress. Only globally routable unicast is "public";
 * everything else is named by the range it falls in. IPv6 forms that embed an IPv4 address
 * (IPv4-mapped ::ffff:a.b.c.d, IPv4-compatible ::a.b.c.d, NAT64 64:ff9b::/96, 6to4 2002::/16)
 * are judged by the embedded IPv4 address.
 */
import { isIPv4, isIPv6 } from 'node:net';

export type AddressClass =
  | 'public'
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'cgnat'
  | 'metadata'
  | 'unique-local'
  | 'multicast'
  | 'broadcast'
  | 'reserved'
  | 'invalid';

type V4Range = readonly [base: number, prefix: number, cls: AddressClass];

const V4_RANGES: readonly V4Range[] = [
  [v4('169.254.169.254'), 32, 'metadata'],
  [v4('0.0.0.0'), 8, 'unspecified'],
  [v4('10.0.0.0'), 8, 'private'],
  [v4('100.64.0.0'), 10, 'cgnat'],
  [v4('127.0.0.0'), 8, 'loopback'],
  [v4('169.254.0.0'), 16, 'link-local'],
  [v4('172.16.0.0'), 12, 'private'],
  [v4('192.0.0.0'), 24, 'reserved'],
  [v4('192.0.2.0'), 24, 'reserved'],
  [v4('192.88.99.0'), 24, 'reserved'],
  [v4('192.168.0.0'), 16, 'private'],
  [v4('198.18.0.0'), 15, 'reserved'],
  [v4('198.51.100.0'), 24, 'reserved'],
  [v4('203.0.113.0'), 24, 'reserved'],
  [v4('224.0.0.0'), 4, 'multicast'],
  [v4('255.255.255.255'), 32, 'broadcast'],
  [v4('240.0.0.0'), 4, 'reserved'],
];

function v4(text: string): number {
  const parts = text.split('.').map(Number);
  return (((parts[0] ?? 0) << 24) | ((parts[1] ?? 0) << 16) | ((parts[2] ?? 0) << 8) | (parts[3] ?? 0)) >>> 0;
}

function classifyV4(value: number): AddressClass {
  for (const [base, prefix, cls] of V4_RANGES) {
    const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
    if ((value & mask) >>> 0 === base) return cls;
  }
  return 'public';
}

/** Expands an IPv6 literal (no brackets, no zone) to 8 hextets; undefined if malformed. */
export function expandIPv6(text: string): number[] | undefined {
  if (!isIPv6(text) || text.includes('%')) return undefined;
  let body = text;
  const lastColon = text.lastIndexOf(':');
  const maybeV4 = text.slice(lastColon + 1);
  if (maybeV4.includes('.')) {
    if (!isIPv4(maybeV4)) return undefined;
    const n = v4(maybeV4);
    body = `${text.slice(0, lastColon + 1)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const halves = body.split('::');
  const parse = (s: string): number[] => (s === '' ? [] : s.split(':').map((h) => parseInt(h, 16)));
  const head = parse(halves[0] ?? '');
  const rest = halves.length > 1 ? parse(halves[1] ?? '') : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 1 && missing !== 0) return undefined;
  if (missing < 0) return undefined;
  const out = [...head, ...new Array<number>(halves.length > 1 ? missing : 0).fill(0), ...rest];
  return out.length === 8 && out.every((h) => Number.isInteger(h) && h >= 0 && h <= 0xffff) ? out : undefined;
}

function classifyV6(h: number[]): AddressClass {
  const [a = 0, b = 0, c = 0, d = 0, e = 0, f = 0, g = 0, last = 0] = h;
  const embedded = ((g << 16) | last) >>> 0;
  const zeroPrefix5 = a === 0 && b === 0 && c === 0 && d === 0 && e === 0;
  if (zeroPrefix5 && f === 0 && g === 0 && last === 0) return 'unspecified';
  if (zeroPrefix5 && f === 0 && g === 0 && last === 1) return 'loopback';
  if (zeroPrefix5 && f === 0xffff) return classifyV4(embedded); // IPv4-mapped
  if (zeroPrefix5 && f === 0) return classifyV4(embedded); // IPv4-compatible (deprecated)
  if (a === 0x64 && b === 0xff9b && c === 0 && d === 0 && e === 0 && f === 0) return classifyV4(embedded); // NAT64
  if (a === 0x2002) return classifyV4(((b << 16) | c) >>> 0); // 6to4
  if (a === 0xfd00 && b === 0x0ec2 && c === 0 && d === 0 && e === 0 && f === 0 && g === 0 && last === 0x254) return 'metadata';
  if ((a & 0xfe00) === 0xfc00) return 'unique-local';
  if ((a & 0xffc0) === 0xfe80) return 'link-local';
  if ((a & 0xffc0) === 0xfec0) return 'private'; // deprecated site-local
  if ((a & 0xff00) === 0xff00) return 'multicast';
  if ((a & 0xe000) !== 0x2000) return 'reserved'; // outside global unicast 2000::/3
  if (a === 0x2001 && (b & 0xfe00) === 0) return 'reserved'; // 2001::/23 protocol assignments, Teredo
  if (a === 0x2001 && b === 0x0db8) return 'reserved'; // documentation
  if (a === 0x3fff && (b & 0xf000) === 0) return 'reserved'; // documentation 3fff::/20
  return 'public';
}

/** Classifies a textual IP address (IPv6 may be bracketed). Non-IP text is 'invalid'. */
export function classifyAddress(input: string): AddressClass {
  const text = input.startsWith('[') && input.endsWith(']') ? input.slice(1, -1) : input;
  if (isIPv4(text)) return classifyV4(v4(text));
  const hextets = expandIPv6(text);
  return hextets ? classifyV6(hextets) : 'invalid';
}
