/** Parses the isolate host's command-line options (`--name=value`); pure. */
import { LIMITS } from '../limits.ts';

export interface HostOptions {
  readonly poolSize: number;
  readonly maxCallsPerIsolate: number;
  readonly defaultMemoryMb: number;
}

export const DEFAULT_HOST_OPTIONS: HostOptions = Object.freeze({ poolSize: 2, maxCallsPerIsolate: 100, defaultMemoryMb: LIMITS.isolateMemoryMb });

const BOUNDS: Record<keyof HostOptions, readonly [number, number]> = {
  poolSize: [0, 64],
  maxCallsPerIsolate: [1, 1_000_000],
  defaultMemoryMb: [8, 4096],
};

const FLAGS: Record<string, keyof HostOptions> = {
  '--pool-size': 'poolSize',
  '--max-calls': 'maxCallsPerIsolate',
  '--memory-mb': 'defaultMemoryMb',
};

export type HostOptionsResult = { ok: true; options: HostOptions } | { ok: false; message: string };

export function parseHostOptions(argv: readonly string[]): HostOptionsResult {
  const options: { -readonly [K in keyof HostOptions]: number } = { ...DEFAULT_HOST_OPTIONS };
  for (const arg of argv) {
    const eq = arg.indexOf('=');
    const key = FLAGS[eq > 0 ? arg.slice(0, eq) : arg];
    if (key === undefined) return { ok: false, message: `unknown option ${arg.slice(0, 40)}` };
    const value = Number(arg.slice(eq + 1));
    const [min, max] = BOUNDS[key];
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      return { ok: false, message: `${arg.slice(0, eq)} must be an integer in ${min}..${max}` };
    }
    options[key] = value;
  }
  return { ok: true, options };
}

/** Builds the argv for `parseHostOptions` (supervisor side). */
export function hostOptionArgs(options: Partial<HostOptions>): string[] {
  const out: string[] = [];
  for (const [flag, key] of Object.entries(FLAGS)) {
    const value = options[key];
    if (value !== undefined) out.push(`${flag}=${value}`);
  }
  return out;
}
