/**
 * DNS-rebinding defence: the Host header must name this server — the listen address,
 * localhost, 127.0.0.1 or [::1] with the port the request arrived on — or one of the extra
 * hosts configured. Pure decision plus a thin middleware.
 */
import type { RequestHandler } from 'express';
import { gwError } from '../errors.ts';

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

function bracket(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

export function isAllowedHost(
  hostHeader: string | undefined,
  listenHost: string,
  localPort: number,
  extra: readonly string[],
): boolean {
  if (hostHeader === undefined || hostHeader === '' || hostHeader.length > 300) return false;
  const host = hostHeader.toLowerCase();
  if (extra.includes(host)) return true;
  const names = new Set([...LOOPBACK_NAMES, bracket(listenHost.toLowerCase())]);
  for (const name of names) {
    if (host === `${name}:${localPort}`) return true;
    if (localPort === 80 && host === name) return true;
  }
  return false;
}

export function hostCheck(listenHost: string, extra: readonly string[]): RequestHandler {
  return (req, _res, next) => {
    const ok = isAllowedHost(req.headers.host, listenHost, req.socket.localPort ?? -1, extra);
    next(ok ? undefined : gwError('GW_ERR_HOST_NOT_ALLOWED', 'The Host header does not name this gateway.'));
  };
}
