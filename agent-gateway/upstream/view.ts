/**
 * What an admin sees of one upstream MCP server (GET /admin/mcp-servers[/:name], and the answers
 * of register and pin): the record without env values (names only), the live status, and for each
 * listed tool its state (enabled, changed, unpinned, invalid), live and pinned sha256, the
 * description scan's flags, the risk / tags / approval in force (annotation defaults with the
 * admin's override over them) and that override (null when none), the build problem and the diff
 * against the pin when there is one.
 */
import type { JsonValue } from '../../sandbox/json.ts';
import type { Risk, ToolTag } from '../tools/manifest.ts';
import { overrideJson, type ToolOverride } from './overrides.ts';
import type { Pin, ToolState } from './pin.ts';
import { scanDescription, type ScanFlag } from './scan.ts';
import type { ServerRecord } from './store.ts';
import type { Running } from './running.ts';

export interface ToolView {
  readonly name: string;
  readonly state: ToolState['state'] | 'invalid';
  readonly sha256: string;
  readonly pinned_sha256: string | null;
  readonly flags: readonly ScanFlag[];
  /** in force; absent for a definition that cannot be exposed */
  readonly risk?: Risk;
  readonly tags?: readonly ToolTag[];
  readonly requires_approval?: boolean;
  readonly override: ReturnType<typeof overrideJson> | null;
  readonly problem?: string;
  readonly diff?: string;
}

interface ViewInputs {
  readonly pins: ReadonlyMap<string, Pin>;
  readonly overrides: ReadonlyMap<string, ToolOverride>;
}

function toolView(server: string, s: Running, st: ToolState, v: ViewInputs): ToolView {
  const name = `${server}.${st.definition.name}`;
  const problem = s.problems.get(st.definition.name);
  const m = s.tools.get(name)?.manifest;
  const override = v.overrides.get(st.definition.name);
  return {
    name, state: problem === undefined ? st.state : 'invalid', sha256: st.sha256,
    pinned_sha256: v.pins.get(st.definition.name)?.sha256 ?? null, flags: scanDescription(st.definition.description),
    ...(m === undefined ? {} : { risk: m.risk, tags: m.tags, requires_approval: m.requires_approval }),
    override: override === undefined ? null : overrideJson(override),
    ...(problem === undefined ? {} : { problem }), ...(st.state === 'changed' ? { diff: st.diff } : {}),
  };
}

export function serverView(record: ServerRecord, s: Running | undefined, v: ViewInputs): Record<string, JsonValue> {
  const tools: ToolView[] = s === undefined ? [] : s.states.map((st) => toolView(record.name, s, st, v));
  return {
    name: record.name, package: record.package, version: record.version, args: [...record.args], env: [...record.envNames],
    mounts: record.mounts.map((m) => ({ ...m })), network: record.network, status: s?.status ?? 'stopped', restarts: s?.restarts ?? 0,
    created_by: record.createdBy, created_at: new Date(record.createdAt).toISOString(),
    tools: tools as unknown as JsonValue,
  };
}
