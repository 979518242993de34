/**
 * The tag vocabulary a manifest may use (`tags`), read by session policy (taint rules):
 *   reads:secret    reads credentials, keys or other secrets
 *   reads:private   reads private data (the user's files, mail, records)
 *   reads:public    reads public data only
 *   writes:external writes or sends data outside this machine (HTTP POST, mail, a ticket)
 *   writes:local    writes local state (files, a database)
 *   exec:code       runs code the caller supplied
 *   net:egress      opens outbound network connections
 * A tag outside this list is refused when the manifest is loaded.
 */
export const TOOL_TAGS = Object.freeze([
  'exec:code', 'net:egress', 'reads:private', 'reads:public', 'reads:secret', 'writes:external', 'writes:local',
] as const);
export type ToolTag = (typeof TOOL_TAGS)[number];

export function isToolTag(t: unknown): t is ToolTag {
  return typeof t === 'string' && (TOOL_TAGS as readonly string[]).includes(t);
}
