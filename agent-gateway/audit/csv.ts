/**
 * CSV export of audit entries: RFC 4180 (CRLF, quoted fields with doubled quotes), and
 * spreadsheet formula injection neutralized: a cell starting with = + - @ (or tab / CR)
 * is prefixed with a single quote.
 */
import type { AuditEntry } from './payload.ts';

export const CSV_COLUMNS = ['seq', 'ts', 'type', 'actor', 'outcome', 'subject', 'subject_erased', 'request_id', 'data'] as const;

export function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) || /^\s|\s$/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function toCsv(entries: readonly AuditEntry[]): string {
  const rows = [CSV_COLUMNS.join(',')];
  for (const e of entries) {
    rows.push([
      String(e.seq), e.ts, e.type, e.actor, e.outcome, e.subject ?? '', e.subject_erased === true ? 'true' : '',
      e.request_id ?? '', e.data === undefined ? '' : JSON.stringify(e.data),
    ].map(csvCell).join(','));
  }
  return `${rows.join('\r\n')}\r\n`;
}
