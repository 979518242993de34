/**
 * Agent and tool globs: `*` (any run of characters, including none), `?` (exactly one) and
 * the literal characters [A-Za-z0-9_.:-] (agent ids may hold capitals; matching is case-sensitive).
 * Matching is iterative (no regex, no backtracking blow-up).
 */
export const GLOB_MAX_LENGTH = 128;
const GLOB_SYNTAX = /^[A-Za-z0-9_.:*?-]+$/;

export function checkGlob(glob: string): { ok: true } | { ok: false; message: string } {
  if (glob.length === 0 || glob.length > GLOB_MAX_LENGTH) {
    return { ok: false, message: `must be 1..${GLOB_MAX_LENGTH} characters` };
  }
  if (!GLOB_SYNTAX.test(glob)) {
    return { ok: false, message: 'invalid glob: only *, ? and the characters A-Z a-z 0-9 _ . : - are allowed' };
  }
  return { ok: true };
}

/** Classic two-pointer wildcard match, O(len(glob) * len(text)) worst case. */
export function globMatch(glob: string, text: string): boolean {
  let g = 0;
  let t = 0;
  let starG = -1;
  let starT = 0;
  while (t < text.length) {
    const c = glob[g];
    if (c === '*') {
      starG = g++;
      starT = t;
    } else if (c !== undefined && (c === '?' || c === text[t])) {
      g++;
      t++;
    } else if (starG !== -1) {
      g = starG + 1;
      t = ++starT;
    } else {
      return false;
    }
  }
  while (glob[g] === '*') g++;
  return g === glob.length;
}

export function anyGlobMatches(globs: readonly string[], text: string): boolean {
  for (const g of globs) if (globMatch(g, text)) return true;
  return false;
}
