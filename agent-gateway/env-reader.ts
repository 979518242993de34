/**
 * Typed reads of `PALISADE_*` variables for config.ts: each read either returns a value or
 * records a problem (all problems are reported at once) and returns a fallback. Pure over the
 * environment object it is given; only config.ts uses it.
 */
import { isAbsolute, resolve } from 'node:path';

export type Env = Readonly<Record<string, string | undefined>>;

export interface EnvReader {
  /** the trimmed value of PALISADE_<name>; undefined when unset or blank */
  get(name: string): string | undefined;
  /** an integer in [min, max], else a problem and the fallback */
  int(name: string, fallback: number, min: number, max: number): number;
  /** a comma-separated list, blanks dropped */
  list(name: string): string[];
  /** 64 hex characters (32 bytes), lower-cased */
  hex64(name: string): string | undefined;
  /** a path, resolved against cwd when relative */
  path(name: string): string | undefined;
  /** the origin of a URL with one of `schemes` and no credentials (extension origins kept whole) */
  origin(label: string, value: string, schemes: readonly string[]): string | undefined;
}

export function envReader(env: Env, cwd: string, problems: string[]): EnvReader {
  const get = (name: string): string | undefined => {
    const v = env[`PALISADE_${name}`];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  return {
    get,
    int(name, fallback, min, max) {
      const raw = get(name);
      if (raw === undefined) return fallback;
      const n = Number(raw);
      if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < min || n > max) {
        problems.push(`PALISADE_${name}: must be an integer from ${min} to ${max} (got ${JSON.stringify(raw)})`);
        return fallback;
      }
      return n;
    },
    list: (name) => (get(name) ?? '').split(',').map((s) => s.trim()).filter((s) => s !== ''),
    hex64(name) {
      const raw = get(name);
      if (raw !== undefined && !/^[0-9a-fA-F]{64}$/.test(raw)) {
        problems.push(`PALISADE_${name}: must be 64 hex characters (32 bytes)`);
        return undefined;
      }
      return raw?.toLowerCase();
    },
    path(name) {
      const raw = get(name);
      return raw === undefined ? undefined : isAbsolute(raw) ? raw : resolve(cwd, raw);
    },
    origin(label, value, schemes) {
      let url: URL;
      try {
        url = new URL(value);
      } catch {
        problems.push(`${label}: ${JSON.stringify(value)} is not a URL`);
        return undefined;
      }
      if (!schemes.includes(url.protocol)) {
        problems.push(`${label}: ${JSON.stringify(value)} must use ${schemes.join(' or ')}`);
        return undefined;
      }
      if (url.username !== '' || url.password !== '') {
        problems.push(`${label}: ${JSON.stringify(value)} must not contain credentials`);
        return undefined;
      }
      return url.protocol === 'chrome-extension:' || url.protocol === 'moz-extension:' ? `${url.protocol}//${url.host}` : url.origin;
    },
  };
}

/** Freezes an object graph in place (config is parsed once and never changes). */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
