/**
 * JSON bodies: only application/json, at most the configured size (413 beyond), parsed by
 * express.json, then scanned iteratively for prototype-polluting keys (`__proto__`,
 * `constructor`, `prototype`), which JSON.parse turns into own properties.
 */
import express, { type RequestHandler } from 'express';
import { gwError } from '../errors.ts';
import { FORBIDDEN_KEYS, pointerSegment } from '../tools/json-keys.ts';

/** Returns the JSON pointer of the first forbidden key, or undefined. Iterative: no recursion. */
export function findForbiddenKey(value: unknown): string | undefined {
  const stack: Array<{ v: unknown; path: string }> = [{ v: value, path: '' }];
  while (stack.length > 0) {
    const { v, path } = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) stack.push({ v: v[i], path: `${path}/${i}` });
      continue;
    }
    for (const key of Object.keys(v)) {
      const p = path + pointerSegment(key);
      if (FORBIDDEN_KEYS.has(key)) return p;
      stack.push({ v: (v as Record<string, unknown>)[key], path: p });
    }
  }
  return undefined;
}

function hasBody(headers: Record<string, string | string[] | undefined>): boolean {
  const length = headers['content-length'];
  return headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

export function jsonBody(limitBytes: number): RequestHandler[] {
  const parse = express.json({ limit: limitBytes, type: () => true, strict: false });
  return [
    (req, _res, next) => {
      if (!hasBody(req.headers)) {
        req.body = undefined;
        next();
        return;
      }
      const declared = Number(req.headers['content-length'] ?? '0');
      if (Number.isFinite(declared) && declared > limitBytes) {
        next(gwError('GW_ERR_BODY_TOO_LARGE', `Bodies are limited to ${limitBytes} bytes.`));
        return;
      }
      const type = req.headers['content-type'] ?? '';
      if (!/^application\/json\s*(;\s*charset=utf-8\s*)?$/i.test(type)) {
        next(gwError('GW_ERR_UNSUPPORTED_MEDIA_TYPE', 'Send the body as application/json (UTF-8).'));
        return;
      }
      next();
    },
    (req, res, next) => {
      if (!hasBody(req.headers)) {
        next();
        return;
      }
      parse(req, res, next);
    },
    (req, _res, next) => {
      const bad = req.body === undefined ? undefined : findForbiddenKey(req.body);
      next(bad === undefined ? undefined : gwError('GW_ERR_FORBIDDEN_KEY', `Forbidden key at ${bad}.`, {
        extras: { errors: [{ instancePath: bad, message: 'forbidden key' }] },
      }));
    },
  ];
}
