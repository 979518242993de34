/**
 * Agent tool scope: an agent may call a tool when one of its scope entries (an exact
 * tool name or a glob, see ../glob.ts) matches the tool's name. Entries that are not valid
 * globs never match (fail closed); a non-array scope grants nothing.
 */
import { matchGlob } from '../glob.ts';

export function inScope(agentTools: readonly string[], toolName: string): boolean {
  if (!Array.isArray(agentTools) || typeof toolName !== 'string') return false;
  for (const entry of agentTools) {
    if (typeof entry === 'string' && matchGlob(entry, toolName)) return true;
  }
  return false;
}
