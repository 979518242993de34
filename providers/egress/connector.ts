/**
 * The pinning connect step used by the egress dispatcher. For every new connection it re-checks
 * the origin against the allowlist, resolves ALL addresses of a hostname, refuses the whole
 * connection if ANY address is refused, and dials only checked addresses (in resolver order,
 * the next one if a dial fails). The socket goes to the checked IP; TLS SNI keeps the hostname.
 */
import { lookup as dnsLookup, Resolver as DnsResolver } from 'node:dns/promises';
import type { buildConnector } from 'undici';
import { EgressError } from './errors.ts';
import { canonicalIp, checkAddress, checkUrl, type Allowlist, type Denied } from './policy.ts';

export type Resolver = (hostname: string) => Promise<ReadonlyArray<{ address: string; family: number }>>;

export const defaultLookup: Resolver = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

/**
 * The production resolver. Without `servers`: the system resolver (getaddrinfo, every address).
 * With `servers` (`ip` or `ip:port` entries): those DNS servers are asked directly for every A
 * and AAAA record (c-ares). Either way ALL records come back and each one is checked by
 * `pinnedAddresses`. A failure of one family is tolerated only if the other answered.
 */
export function systemResolver(servers?: readonly string[]): Resolver {
  if (servers === undefined || servers.length === 0) return defaultLookup;
  const dns = new DnsResolver({ timeout: 2_000, tries: 2 });
  dns.setServers([...servers]);
  return async (hostname) => {
    const [v4, v6] = await Promise.allSettled([dns.resolve4(hostname), dns.resolve6(hostname)]);
    if (v4.status === 'rejected' && v6.status === 'rejected') throw v4.reason;
    return [
      ...(v4.status === 'fulfilled' ? v4.value.map((address) => ({ address, family: 4 })) : []),
      ...(v6.status === 'fulfilled' ? v6.value.map((address) => ({ address, family: 6 })) : []),
    ];
  };
}

export function denied(d: Denied): EgressError {
  return new EgressError('EGR_ERR_DENIED', `${d.code}: ${d.reason}`);
}

/** Pure-ish decision: which IPs may this connection go to (throws EgressError if none). */
export async function pinnedAddresses(
  target: { hostname: string; protocol: string; port: string },
  allowlist: Allowlist,
  resolve: Resolver,
  trusted: ReadonlySet<string>,
): Promise<{ ips: string[]; servername?: string }> {
  const host = target.hostname.includes(':') && !target.hostname.startsWith('[') ? `[${target.hostname}]` : target.hostname;
  const checked = checkUrl(`${target.protocol}//${host}${target.port ? `:${target.port}` : ''}/`, allowlist);
  if (!checked.ok) throw denied(checked);
  if (checked.origin.ipLiteral) {
    const ip = canonicalIp(checked.origin.host);
    const ok = checkAddress(ip, { originExplicitlyAllowlisted: true });
    if (!ok.ok) throw denied(ok);
    return { ips: [ip] };
  }
  let records: ReadonlyArray<{ address: string }>;
  try {
    records = await resolve(checked.origin.host);
  } catch {
    throw new EgressError('EGR_ERR_DNS', 'dns resolution failed');
  }
  if (records.length === 0) throw denied({ ok: false, code: 'EGRESS_NO_ADDRESS', reason: 'no addresses' });
  for (const record of records) {
    const ok = checkAddress(record.address, { originExplicitlyAllowlisted: false, trustedAddresses: trusted });
    if (!ok.ok) throw denied(ok);
  }
  return { ips: [...new Set(records.map((r) => canonicalIp(r.address)))], servername: checked.origin.host };
}

export function pinningConnector(
  allowlist: Allowlist,
  resolve: Resolver,
  trusted: ReadonlySet<string>,
  base: buildConnector.connector,
): buildConnector.connector {
  return (opts, callback) => {
    pinnedAddresses(opts, allowlist, resolve, trusted).then(
      ({ ips, servername }) => {
        const attempt = (i: number): void => {
          const next: buildConnector.Options = { ...opts, hostname: ips[i] ?? '' };
          if (servername !== undefined) next.servername = servername;
          base(next, (...args) => {
            if (args[0] !== null && i + 1 < ips.length) attempt(i + 1);
            else callback(...args);
          });
        };
        attempt(0);
      },
      (error: unknown) => callback(error instanceof Error ? error : new Error('connect refused'), null),
    );
  };
}
