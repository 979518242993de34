/**
 * What an admin sees of one upstream MCP server (GET /admin/mcp-servers[/:name], and the answers
 * of register and pin): the record without env values (names only), the live status, and for each
 * listed tool its state (enabled, changed, unpinned, invalid), live and pinned sha256, the
 * description scan's flags, the build problem and the diff against the pin when there is one.
 */
import type { JsonValue } from '../../sandbox/json.ts';
import type { Pin, ToolState } from './pin.ts';
import { scanDescription, type ScanFlag } from './scan.ts';
import type { ServerRecord } from './store.ts';
import type { Running } from './supervisor.ts';

export interface ToolView {
  readonly name: string;
  readonly state: ToolState['state'] | 'invalid';
  readonly sha256: string;
  readonly pinned_sha256: string | null;
  readonly flags: readonly ScanFlag[];
  readonly problem?: string;
  readonly diff?: string;
}

function toolView(server: string, st: ToolState, pins: ReadonlyMap<string, Pin>, problem: string | undefined): ToolView {
  return {
    name: `${server}.${st.definition.name}`, state: problem === undefined ? st.state : 'invalid', sha256: st.sha256,
    pinned_sha256: pins.get(st.definition.name)?.sha256 ?? null, flags: scanDescription(st.definition.description),
    ...(problem === undefined ? {} : { problem }), ...(st.state === 'changed' ? { diff: st.diff } : {}),
  };
}

export function serverView(record: ServerRecord, s: Running | undefined, pins: ReadonlyMap<string, Pin>): Record<string, JsonValue> {
  const tools: ToolView[] = (s?.states ?? []).map((st) => toolView(record.name, st, pins, s?.problems.get(st.definition.name)));
  return {
    name: record.name, package: record.package, version: record.version, args: [...record.args], env: [...record.envNames],
    mounts: record.mounts.map((m) => ({ ...m })), network: record.network, status: s?.status ?? 'stopped', restarts: s?.restarts ?? 0,
    created_by: record.createdBy, created_at: new Date(record.createdAt).toISOString(),
    tools: tools as unknown as JsonValue,
  };
}
