/**
 * Argument parsing on top of node:util parseArgs (strict: unknown options and missing values
 * are usage errors, exit 2). `--help`/`-h` is accepted everywhere.
 */
import { parseArgs } from 'node:util';
import { usageError } from './types.ts';

export type OptionSpec = Readonly<Record<string, { readonly type: 'string' | 'boolean'; readonly short?: string }>>;

export interface Parsed {
  readonly help: boolean;
  readonly values: Readonly<Record<string, string | boolean | undefined>>;
  readonly positionals: readonly string[];
}

export function parse(argv: readonly string[], options: OptionSpec, positionals: { min: number; max: number }): Parsed {
  let result;
  try {
    result = parseArgs({
      args: [...argv],
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw usageError((error as Error).message.split('\n')[0] ?? 'bad arguments');
  }
  const values = result.values as Record<string, string | boolean | undefined>;
  const help = values['help'] === true;
  if (!help) {
    const n = result.positionals.length;
    if (n < positionals.min) throw usageError(`missing argument (expected ${positionals.min}, got ${n})`);
    if (n > positionals.max) throw usageError(`unexpected argument ${JSON.stringify(result.positionals[positionals.max])}`);
  }
  return { help, values, positionals: result.positionals };
}

export function str(p: Parsed, name: string): string | undefined {
  const v = p.values[name];
  return typeof v === 'string' ? v : undefined;
}

export function flag(p: Parsed, name: string): boolean {
  return p.values[name] === true;
}

/** A decimal integer within [min, max]; anything else is a usage error. */
export function intArg(name: string, raw: string, min: number, max: number): number {
  const n = Number(raw);
  if (!/^\d{1,15}$/.test(raw) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw usageError(`${name} must be an integer from ${min} to ${max} (got ${JSON.stringify(raw.slice(0, 40))})`);
  }
  return n;
}

/** A date for --since/--until: ISO 8601 (e.g. 2026-01-31 or 2026-01-31T12:00:00Z). Returns epoch ms. */
export function dateArg(name: string, raw: string): number {
  const ok = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(raw);
  const t = ok ? Date.parse(raw) : Number.NaN;
  if (!Number.isFinite(t)) throw usageError(`${name} must be an ISO 8601 date such as 2026-01-31T12:00:00Z (got ${JSON.stringify(raw.slice(0, 40))})`);
  return t;
}
