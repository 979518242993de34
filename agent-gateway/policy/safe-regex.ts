/**
 * The ONE home of operator-supplied regular expressions (policy `when` regexes, redaction
 * patterns, anything later). Patterns run on RE2 (`re2js`, a linear-time automaton engine with
 * no backtracking), so their time grows with the input length and the compiled program size,
 * never exponentially. On top of that three caps bound the work of one decision/request:
 * - a source of at most 256 characters and a compiled program of at most 512 instructions
 *   (checked when the pattern is stored: the HTTP layer answers 422);
 * - a subject of at most 64 KiB per run;
 * - a work budget per decision/request: each run costs `subject length × (program size + 32)`
 *   units, taken before it runs; a run that would overdraw the budget does not run.
 * A run that is refused by a cap reports `unevaluable`; callers fail closed (policy: deny;
 * redaction: the whole value is masked). RE2 has no backreferences and no lookaround: such a
 * pattern is refused with a clear message, never approximated.
 */
import { RE2JS } from 're2js';

export const REGEX_LIMITS = {
  sourceChars: 256,
  programSize: 512,
  subjectChars: 65_536,
  /**
   * per decision / per page context. The slowest shapes measured cost 45–65 ns per unit on the
   * (shared, 2-core) build machine (e.g. `(.*a){20}` over `a`×50 000), so the budget stops one
   * request's regex work at ≈ 0.5 s; ordinary patterns cost 1–5 ns per unit. A page context
   * that needs more has its remaining values masked whole.
   */
  workUnits: 2 ** 23,
} as const;
/** fixed per-character overhead of a run, in program-size units */
const RUN_OVERHEAD = 32;

export const REGEX_MAX_LENGTH = REGEX_LIMITS.sourceChars;
export const REGEX_SUBJECT_MAX_LENGTH = REGEX_LIMITS.subjectChars;

export interface SafeRegex {
  readonly source: string;
  /** work units per subject character */
  readonly unitCost: number;
  readonly re: RE2JS;
}

export type RegexCheck = { ok: true; regex: SafeRegex } | { ok: false; code: 'GW_ERR_VALIDATION'; message: string };

/** RE2's syntax error, turned into an operator-facing reason for the constructs it refuses on purpose. */
function explain(reason: string): string {
  if (/escape sequence: `\\(?:[1-9]|k)/.test(reason)) return 'backreferences are not supported (patterns use RE2 syntax, which runs in linear time)';
  if (/`\(\?<?[=!]/.test(reason)) return 'lookahead and lookbehind are not supported (patterns use RE2 syntax, which runs in linear time)';
  return 'invalid regular expression';
}

/**
 * The same pattern with every capturing group made non-capturing (`(x)`, `(?P<n>x)`, `(?<n>x)`
 * → `(?:x)`): masking needs only the match span, and captures make RE2's NFA 3–4× slower. The
 * scan follows RE2 syntax (escapes, `\Q…\E`, character classes). The rewrite is used only if
 * it compiles, has no groups left and is no larger; the scanner's cases are unit-tested.
 */
function withoutCaptures(src: string, original: RE2JS): RE2JS | undefined {
  const groups = original.groupCount();
  if (groups === 0) return original;
  let out = '';
  for (let i = 0; i < src.length; i++) {
    const c = src[i] as string;
    if (c === '\\') {
      if (src[i + 1] === 'Q') {
        const end = src.indexOf('\\E', i + 2);
        const stop = end === -1 ? src.length : end + 2;
        out += src.slice(i, stop);
        i = stop - 1;
      } else {
        out += src.slice(i, i + 2);
        i++;
      }
    } else if (c === '[') {
      let j = i + 1;
      if (src[j] === '^') j++;
      if (src[j] === ']') j++;
      for (; j < src.length && src[j] !== ']'; j++) {
        if (src[j] === '\\') j++;
        else if (src[j] === '[' && src[j + 1] === ':') {
          const close = src.indexOf(':]', j + 2);
          if (close !== -1) j = close + 1;
        }
      }
      out += src.slice(i, j + 1);
      i = j;
    } else if (c === '(' && src[i + 1] !== '?') {
      out += '(?:';
    } else if (c === '(' && (src.startsWith('(?P<', i) || (src.startsWith('(?<', i) && src[i + 3] !== '=' && src[i + 3] !== '!'))) {
      const close = src.indexOf('>', i);
      if (close === -1) return undefined;
      out += '(?:';
      i = close;
    } else {
      out += c;
    }
  }
  try {
    const re = RE2JS.compile(out);
    return re.groupCount() === 0 && re.programSize() <= original.programSize() ? re : undefined;
  } catch {
    return undefined;
  }
}

const cache = new Map<string, RegexCheck>();
const CACHE_MAX = 1024;

function matcherFor(src: string, re: RE2JS, size: number): RegexCheck {
  const lean = withoutCaptures(src, re);
  // a pattern whose captures could not be removed is charged for them (≈ 4× slower per unit)
  const unitCost = lean !== undefined ? size + RUN_OVERHEAD : 4 * (size + RUN_OVERHEAD);
  return { ok: true, regex: { source: src, unitCost, re: lean ?? re } };
}

/** Pure (memoized): validates and compiles an operator-supplied pattern. */
export function compileSafeRegex(src: unknown): RegexCheck {
  if (typeof src !== 'string' || src.length === 0 || src.length > REGEX_LIMITS.sourceChars) {
    return { ok: false, code: 'GW_ERR_VALIDATION', message: `regex must be 1..${REGEX_LIMITS.sourceChars} characters` };
  }
  const hit = cache.get(src);
  if (hit !== undefined) return hit;
  let out: RegexCheck;
  try {
    const re = RE2JS.compile(src);
    const size = re.programSize();
    out = size > REGEX_LIMITS.programSize
      ? { ok: false, code: 'GW_ERR_VALIDATION', message: `regex is too complex (compiled program of ${size} instructions; the limit is ${REGEX_LIMITS.programSize}): use smaller repetition counts` }
      : matcherFor(src, re, size);
  } catch (error) {
    out = { ok: false, code: 'GW_ERR_VALIDATION', message: explain(error instanceof Error ? error.message : '') };
  }
  if (cache.size >= CACHE_MAX) cache.clear();
  cache.set(src, out);
  return out;
}

/** Validation-only view for the policy validator. */
export function checkRegexSource(src: string): { ok: true } | { ok: false; message: string } {
  const c = compileSafeRegex(src);
  return c.ok ? { ok: true } : { ok: false, message: c.message };
}

/** The work allowance of one decision or one request. */
export class RegexBudget {
  #left: number;
  constructor(units: number = REGEX_LIMITS.workUnits) {
    this.#left = units;
  }
  get left(): number {
    return this.#left;
  }
  /** Takes the cost of running `regex` over `length` characters; false (nothing taken) if over a cap. */
  take(regex: SafeRegex, length: number): boolean {
    if (length > REGEX_LIMITS.subjectChars) return false;
    const cost = Math.max(1, length) * regex.unitCost;
    if (cost > this.#left) return false;
    this.#left -= cost;
    return true;
  }
}

export function regexTest(regex: SafeRegex, subject: string, budget: RegexBudget): boolean | 'unevaluable' {
  if (!budget.take(regex, subject.length)) return 'unevaluable';
  return regex.re.test(subject);
}

/** Every match replaced by the literal `replacement`; `undefined` when a cap refused the run. */
export function regexReplaceAll(regex: SafeRegex, subject: string, replacement: string, budget: RegexBudget): string | undefined {
  if (subject.length === 0) return subject;
  if (!budget.take(regex, subject.length)) return undefined;
  return regex.re.matcher(subject).replaceAll(() => replacement);
}

/**
 * Tests every `[source, subject]` pair (sources passed `checkRegexSource`) under ONE budget:
 * an unknown source, an over-long subject or an exhausted budget is `unevaluable`.
 */
export function safeRegexTestMany(pairs: readonly (readonly [string, string])[], budget: RegexBudget = new RegexBudget()): (boolean | 'unevaluable')[] {
  return pairs.map(([src, s]) => {
    const c = compileSafeRegex(src);
    return c.ok ? regexTest(c.regex, s, budget) : 'unevaluable';
  });
}

/** Tests `subject` against a source that passed `checkRegexSource`. */
export function safeRegexTest(src: string, subject: string): boolean | 'unevaluable' {
  return safeRegexTestMany([[src, subject]])[0] as boolean | 'unevaluable';
}
