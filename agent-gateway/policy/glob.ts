/**
 * Policy globs are the gateway's one glob syntax (agent-gateway/glob.ts: `*`, `?`, literal
 * [A-Za-z0-9_.:-], linear matching, no regex); policy documents keep a shorter length cap.
 */
import { isValidGlob, matchGlob } from '../glob.ts';

export const GLOB_MAX_LENGTH = 128;

export function checkGlob(glob: string): { ok: true } | { ok: false; message: string } {
  if (glob.length === 0 || glob.length > GLOB_MAX_LENGTH) {
    return { ok: false, message: `must be 1..${GLOB_MAX_LENGTH} characters` };
  }
  if (!isValidGlob(glob)) {
    return { ok: false, message: 'invalid glob: only *, ? and the characters A-Z a-z 0-9 _ . : - are allowed' };
  }
  return { ok: true };
}

export const globMatch = matchGlob;

export function anyGlobMatches(globs: readonly string[], text: string): boolean {
  return globs.some((g) => matchGlob(g, text));
}
