/**
 * Regex predicates from the policy document are admin input compiled into the hot path, so
 * they are checked twice: at validation (length cap, `u`-mode syntax, no backreferences, no
 * group repeated by `*`, `+` or `{}` that itself contains a quantifier or an alternation: the
 * classic catastrophic-backtracking shapes; an optional `(...)?` group is fine)
 * and at run time (a 100 ms vm timeout per decision and a 64 KiB subject cap).
 * A run that cannot finish safely reports `unevaluable`; the policy engine then fails closed.
 */
import vm from 'node:vm';

export const REGEX_MAX_LENGTH = 256;
export const REGEX_SUBJECT_MAX_LENGTH = 65_536;
export const REGEX_TIMEOUT_MS = 100;

export function checkRegexSource(src: string): { ok: true } | { ok: false; message: string } {
  if (src.length === 0 || src.length > REGEX_MAX_LENGTH) {
    return { ok: false, message: `regex must be 1..${REGEX_MAX_LENGTH} characters` };
  }
  try {
    new RegExp(src, 'u');
  } catch {
    return { ok: false, message: 'invalid regular expression' };
  }
  const shape = checkShape(src);
  return shape === undefined ? { ok: true } : { ok: false, message: shape };
}

interface Frame { quant: boolean; alt: boolean }

function checkShape(src: string): string | undefined {
  const stack: Frame[] = [{ quant: false, alt: false }];
  let lastWasRiskyGroup = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    const top = stack[stack.length - 1] as Frame;
    if (c === '\\') {
      const n = src[i + 1] ?? '';
      if (/[1-9]/.test(n) || (n === 'k' && src[i + 2] === '<')) return 'backreferences are not allowed';
      i++;
      if ((n === 'p' || n === 'P' || n === 'u') && src[i + 1] === '{') while (i < src.length && src[i] !== '}') i++;
      lastWasRiskyGroup = false;
    } else if (c === '[') {
      for (i++; i < src.length && src[i] !== ']'; i++) if (src[i] === '\\') i++;
      lastWasRiskyGroup = false;
    } else if (c === '(') {
      stack.push({ quant: false, alt: false });
      if (src[i + 1] === '?') {
        // group prefix (?: (?= (?! (?<= (?<! (?<name>: not a quantifier
        if (src[i + 2] === '<' && src[i + 3] !== '=' && src[i + 3] !== '!') while (i < src.length && src[i] !== '>') i++;
        else i += src[i + 2] === '<' ? 3 : 2;
      }
      lastWasRiskyGroup = false;
    } else if (c === ')') {
      const done = stack.pop() as Frame;
      const parent = stack[stack.length - 1] as Frame;
      parent.quant ||= done.quant;
      lastWasRiskyGroup = done.quant || done.alt;
    } else if (c === '|') {
      top.alt = true;
      lastWasRiskyGroup = false;
    } else if (c === '*' || c === '+' || c === '?' || c === '{') {
      if (lastWasRiskyGroup && c !== '?') return 'a quantified group may not contain a quantifier or alternation (catastrophic backtracking)';
      if (c === '{') while (i < src.length && src[i] !== '}') i++;
      top.quant = true;
      lastWasRiskyGroup = false;
    } else {
      lastWasRiskyGroup = false;
    }
  }
  return undefined;
}

const context = vm.createContext(Object.create(null) as object);
const runner = new vm.Script('jobs.map((j) => j.re.test(j.s))');
const cache = new Map<string, RegExp>();
const CACHE_MAX = 1024;

function compiled(src: string): RegExp {
  let re = cache.get(src);
  if (re === undefined) {
    re = new RegExp(src, 'u');
    if (cache.size >= CACHE_MAX) cache.clear();
    cache.set(src, re);
  }
  return re;
}

/**
 * Tests every `[source, subject]` pair (sources passed `checkRegexSource`) in ONE guarded run:
 * the whole batch shares one timeout, so the watchdog cost is paid once per decision. On a
 * timeout every entry is `unevaluable`; an over-long subject is `unevaluable` on its own.
 */
export function safeRegexTestMany(pairs: readonly (readonly [string, string])[]): (boolean | 'unevaluable')[] {
  const out: (boolean | 'unevaluable')[] = pairs.map(([, s]) => (s.length > REGEX_SUBJECT_MAX_LENGTH ? 'unevaluable' : false));
  const jobs: { re: RegExp; s: string }[] = [];
  const at: number[] = [];
  pairs.forEach(([src, s], i) => {
    if (out[i] === 'unevaluable') return;
    jobs.push({ re: compiled(src), s });
    at.push(i);
  });
  if (jobs.length === 0) return out;
  const ctx = context as { jobs?: unknown };
  ctx.jobs = jobs;
  try {
    const results = runner.runInContext(context, { timeout: REGEX_TIMEOUT_MS }) as unknown[];
    at.forEach((i, k) => { out[i] = results[k] === true; });
  } catch {
    for (const i of at) out[i] = 'unevaluable';
  } finally {
    delete ctx.jobs;
  }
  return out;
}

/** Tests `subject` against a source that passed `checkRegexSource`. */
export function safeRegexTest(src: string, subject: string): boolean | 'unevaluable' {
  return safeRegexTestMany([[src, subject]])[0] as boolean | 'unevaluable';
}
