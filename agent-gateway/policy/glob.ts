/**
 * Policy globs are the gateway's one glob syntax (agent-gateway/glob.ts: `*`, `?`, literal
 * [A-Za-z0-9_.:-], linear matching, no regex) with its one length cap (256: a tool name may be
 * 256 characters, DESIGN §5, so a policy must be able to name it exactly).
 */
import { GLOB_MAX_LENGTH, isValidGlob, matchGlob } from '../glob.ts';

export { GLOB_MAX_LENGTH };

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
