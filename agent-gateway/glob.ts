/**
 * A tiny, safe glob matcher for agent tool scopes and policy rules.
 *
 * Syntax: `*` matches any run of characters (including none, including dots), `?` matches
 * exactly one character, every other character is literal. Matching is case-sensitive and
 * works on Unicode code points. No regular expression is ever built from a pattern.
 *
 * Algorithm: the pattern is split at `*` into fixed-length segments (literals and `?`).
 * The first segment is anchored at the start, the last at the end, and every middle segment
 * is placed at its leftmost possible position. Because segments have a fixed length,
 * leftmost placement is always optimal, so no backtracking is needed: the work is at most
 * O(subject length × pattern length), and the pattern is capped at 256 characters.
 */

export const GLOB_MAX_LENGTH = 256;

const GLOB_CHARSET = /^[A-Za-z0-9_.*?:-]+$/;

/** 1..256 characters from [A-Za-z0-9_.*?:-]. */
export function isValidGlob(glob: unknown): glob is string {
  return (
    typeof glob === 'string' &&
    glob.length >= 1 &&
    glob.length <= GLOB_MAX_LENGTH &&
    GLOB_CHARSET.test(glob)
  );
}

/** True when the glob contains a wildcard (`*` or `?`). */
export function hasWildcard(glob: string): boolean {
  return glob.includes('*') || glob.includes('?');
}

function segmentMatchesAt(subject: readonly string[], at: number, segment: string): boolean {
  // segment is ASCII (validated charset), so indexing by UTF-16 unit equals code point
  for (let j = 0; j < segment.length; j += 1) {
    const p = segment[j];
    if (p !== '?' && subject[at + j] !== p) return false;
  }
  return true;
}

/**
 * Does `subject` match `glob`? An invalid glob (see isValidGlob) or a non-string subject
 * never matches: callers fail closed.
 */
export function matchGlob(glob: string, subject: string): boolean {
  if (!isValidGlob(glob) || typeof subject !== 'string') return false;
  if (!hasWildcard(glob)) return glob === subject;

  const chars = Array.from(subject);
  const segments = glob.split('*');
  if (segments.length === 1) {
    // only `?` wildcards: lengths must agree exactly
    const only = segments[0] ?? '';
    return chars.length === only.length && segmentMatchesAt(chars, 0, only);
  }

  const first = segments[0] ?? '';
  const last = segments[segments.length - 1] ?? '';
  if (first.length + last.length > chars.length) return false;
  if (!segmentMatchesAt(chars, 0, first)) return false;
  const end = chars.length - last.length;
  if (!segmentMatchesAt(chars, end, last)) return false;

  let pos = first.length;
  for (let i = 1; i < segments.length - 1; i += 1) {
    const seg = segments[i] ?? '';
    if (seg.length === 0) continue;
    let found = -1;
    for (let at = pos; at + seg.length <= end; at += 1) {
      if (segmentMatchesAt(chars, at, seg)) {
        found = at;
        break;
      }
    }
    if (found < 0) return false;
    pos = found + seg.length;
  }
  return true;
}
