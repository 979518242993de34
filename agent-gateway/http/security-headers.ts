/**
 * Response header hygiene (issue 19 item 12). Helmet with an explicit configuration instead of
 * its merged defaults: the API answers JSON, so its CSP is exactly JSON_CSP (nothing may load,
 * nothing may frame it); no HSTS, because the gateway speaks plain HTTP on loopback and HSTS
 * there would pin `localhost` to https for every other local service the browser visits. A
 * route that serves a page (the console) replaces the CSP header with its own, stricter-for-it
 * policy: res.setHeader('Content-Security-Policy', …) after this middleware wins.
 * Also the path check: a malformed percent-encoding (or an encoded control character) in the
 * path is a 400 GW_ERR_BAD_PATH before any route runs.
 */
import type { RequestHandler } from 'express';
import helmet from 'helmet';
import { gwError } from '../errors.ts';

export const JSON_CSP = "default-src 'none'; frame-ancestors 'none'";

export function securityHeaders(): RequestHandler {
  const rest = helmet({ contentSecurityPolicy: false, strictTransportSecurity: false });
  return (req, res, next) => {
    res.setHeader('Content-Security-Policy', JSON_CSP);
    rest(req, res, next);
  };
}

export type PathDecision = { ok: true } | { ok: false; code: 'GW_ERR_BAD_PATH'; reason: 'bad_percent_encoding' | 'control_character' };

/** Pure: the raw request path (before `?`) must percent-decode and hold no control characters. */
export function checkPath(rawPath: string): PathDecision {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    return { ok: false, code: 'GW_ERR_BAD_PATH', reason: 'bad_percent_encoding' };
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(decoded)) return { ok: false, code: 'GW_ERR_BAD_PATH', reason: 'control_character' };
  return { ok: true };
}

export function pathCheck(): RequestHandler {
  return (req, _res, next) => {
    const raw = req.originalUrl.split('?', 1)[0] ?? '';
    const d = checkPath(raw);
    next(d.ok ? undefined : gwError('GW_ERR_BAD_PATH', d.reason === 'bad_percent_encoding'
      ? 'The request path has a malformed percent-encoding.'
      : 'The request path contains an encoded control character.'));
  };
}
