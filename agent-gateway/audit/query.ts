/**
 * Parses the query of GET /admin/audit (`since, until, event, actor, after_seq, limit,
 * format`) into a ReadQuery. Pure; hostile input: only strings, strict RFC 3339 dates (or a
 * plain YYYY-MM-DD), bounded lengths, unknown or repeated parameters refused. Errors map to
 * GW_ERR_VALIDATION (422).
 */
import { MAX_READ_LIMIT, type ReadQuery } from './reader.ts';

export type AuditQueryResult =
  | { ok: true; query: ReadQuery; format: 'json' | 'csv' }
  | { ok: false; code: 'GW_ERR_VALIDATION'; errors: { param: string; message: string }[] };

const KNOWN = new Set(['since', 'until', 'event', 'actor', 'after_seq', 'limit', 'format']);
const DATE_RE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2}))?$/;
export const DEFAULT_READ_LIMIT = 100;

function parseDate(v: string): number | null {
  if (!DATE_RE.test(v)) return null;
  const t = Date.parse(v.length === 10 ? `${v}T00:00:00Z` : v);
  if (Number.isNaN(t)) return null;
  // reject calendar overflow like 2026-02-31 that Date.parse silently rolls over
  if (new Date(Date.parse(`${v.slice(0, 10)}T00:00:00Z`)).toISOString().slice(0, 10) !== v.slice(0, 10)) return null;
  return t;
}

function parseInteger(v: string, min: number, max: number): number | null {
  if (!/^\d{1,16}$/.test(v)) return null;
  const n = Number(v);
  return Number.isSafeInteger(n) && n >= min && n <= max ? n : null;
}

export function parseAuditQuery(raw: Record<string, unknown>): AuditQueryResult {
  const errors: { param: string; message: string }[] = [];
  const values = new Map<string, string>();
  for (const [k, v] of Object.entries(raw)) {
    if (!KNOWN.has(k)) errors.push({ param: k.slice(0, 64), message: 'unknown parameter' });
    else if (typeof v !== 'string') errors.push({ param: k, message: 'must be given once, as a string' });
    else values.set(k, v);
  }
  const q: { -readonly [K in keyof ReadQuery]?: ReadQuery[K] } = {};
  const date = (name: 'since' | 'until'): void => {
    const v = values.get(name);
    if (v === undefined) return;
    const t = parseDate(v);
    if (t === null) errors.push({ param: name, message: 'must be an RFC 3339 date-time or YYYY-MM-DD' });
    else q[name] = t;
  };
  date('since');
  date('until');
  if (q.since !== undefined && q.until !== undefined && q.since > q.until) errors.push({ param: 'until', message: 'must not be before since' });
  const event = values.get('event');
  if (event !== undefined) {
    if (!/^[A-Za-z0-9_.-]{1,128}$/.test(event)) errors.push({ param: 'event', message: 'must be 1-128 chars of [A-Za-z0-9_.-]' });
    else q.event = event;
  }
  const actor = values.get('actor');
  if (actor !== undefined) {
    if (actor.length === 0 || actor.length > 256 || /[\u0000-\u001f\u007f]/.test(actor)) errors.push({ param: 'actor', message: 'must be 1-256 printable chars' });
    else q.actor = actor;
  }
  const afterSeq = values.get('after_seq');
  if (afterSeq !== undefined) {
    const n = parseInteger(afterSeq, 0, Number.MAX_SAFE_INTEGER);
    if (n === null) errors.push({ param: 'after_seq', message: 'must be a non-negative integer' });
    else q.after_seq = n;
  }
  let limit = DEFAULT_READ_LIMIT;
  const limitRaw = values.get('limit');
  if (limitRaw !== undefined) {
    const n = parseInteger(limitRaw, 1, MAX_READ_LIMIT);
    if (n === null) errors.push({ param: 'limit', message: `must be an integer 1..${MAX_READ_LIMIT}` });
    else limit = n;
  }
  const format = values.get('format') ?? 'json';
  if (format !== 'json' && format !== 'csv') errors.push({ param: 'format', message: 'must be json or csv' });
  if (errors.length > 0) return { ok: false, code: 'GW_ERR_VALIDATION', errors };
  return { ok: true, query: { ...q, limit }, format: format as 'json' | 'csv' };
}
