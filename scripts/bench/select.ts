/**
 * `node scripts/bench.ts --only <names>`: run only some parts of a full run (to measure and
 * profile one case without the three-minute run around it). Names, comma-separated: a gateway
 * case id (cases.ts, e.g. echo-docker,eval-docker) or one of the groups below. Without --only
 * everything runs. Unknown names are refused, so a typo does not silently measure nothing.
 */
export const BENCH_GROUPS = {
  baselines: 'the node:http and Express baselines (the ratio columns need them)',
  'isolate-start': 'start and idle memory of a gateway with only the isolate backend (Docker runs)',
  governance: 'the plain vs governed echo pair (issue 14)',
  'upstream-mcp': 'the upstream MCP tool call row (issue 16)',
  'docker-cold': 'echo in a fresh container per call',
  'docker-runtimes': 'runc vs runsc at the backend interface (issue 20)',
  'chat-peers': 'the chat proxy vs Portkey\'s gateway and the direct call (issue 23)',
} as const;
export type BenchGroup = keyof typeof BENCH_GROUPS;

export type Selection = { readonly ok: true; readonly want: (name: string) => boolean; readonly filtered: boolean } | { readonly ok: false; readonly problem: string };

export function benchSelection(raw: string | undefined, caseIds: readonly string[]): Selection {
  if (raw === undefined) return { ok: true, want: () => true, filtered: false };
  const names = raw.split(',').map((n) => n.trim()).filter((n) => n !== '');
  const known = new Set<string>([...caseIds, ...Object.keys(BENCH_GROUPS)]);
  const unknown = names.filter((n) => !known.has(n));
  if (names.length === 0 || unknown.length > 0) {
    return { ok: false, problem: `--only: ${names.length === 0 ? 'no names' : `unknown ${unknown.join(', ')}`}; cases: ${caseIds.join(', ')}; groups: ${Object.keys(BENCH_GROUPS).join(', ')}` };
  }
  const chosen = new Set(names);
  return { ok: true, want: (name) => chosen.has(name), filtered: true };
}
