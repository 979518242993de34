/**
 * Admin overrides of an upstream tool's risk, tags and approval (issue 16 item 3: "Risk and tags
 * default from annotations unless the admin overrides them"). Pure decisions.
 *
 * Shape, in the body of POST /admin/mcp-servers and of POST …/:name/pin:
 *   overrides: { "<tool>": { risk?: "low"|"medium"|"high", tags?: [tag], requires_approval?: boolean } }
 * keyed by the tool's name as the server lists it, or by its full name `<server>.<tool>`. Each
 * field given replaces the annotation default of that field; a field left out keeps its default.
 * An entry replaces the tool's previous override whole; `{}` removes it. Tags come from the one
 * vocabulary (policy/tags.ts): an unknown tag is refused with the list of known tags, as in a
 * manifest. Every key must name a tool the server lists at that moment.
 */
import { TOOL_TAGS, isToolTag, type Risk, type ToolTag } from '../tools/manifest.ts';
import type { Check } from './types.ts';

export interface ToolOverride {
  readonly risk?: Risk;
  readonly tags?: readonly ToolTag[];
  readonly requires_approval?: boolean;
}

export interface OverrideInput {
  readonly risk?: Risk;
  readonly tags?: readonly string[];
  readonly requires_approval?: boolean;
}

export type OverridesBody = Readonly<Record<string, OverrideInput>>;

export const MAX_OVERRIDES = 256;

export const OVERRIDES_SCHEMA = {
  type: 'object', maxProperties: MAX_OVERRIDES,
  propertyNames: { type: 'string', minLength: 1, maxLength: 256 },
  additionalProperties: {
    type: 'object', additionalProperties: false,
    properties: {
      risk: { type: 'string', enum: ['low', 'medium', 'high'] },
      tags: { type: 'array', maxItems: 32, uniqueItems: true, items: { type: 'string', minLength: 1, maxLength: 64 } },
      requires_approval: { type: 'boolean' },
    },
  },
} as const;

/**
 * The overrides of a request, keyed by the tool's own name. `listed`: the names the server lists
 * now (undefined before the server has listed: that check is left for later). Refused
 * (GW_ERR_VALIDATION, naming the field): an unknown tag, a key that names no listed tool, two
 * keys for one tool.
 */
export function checkOverrides(raw: OverridesBody | undefined, server: string, listed: readonly string[] | undefined): Check<ReadonlyMap<string, ToolOverride>> {
  const bad = (reason: string): Check<ReadonlyMap<string, ToolOverride>> => ({ ok: false, code: 'GW_ERR_VALIDATION', reason });
  const out = new Map<string, ToolOverride>();
  for (const [key, o] of Object.entries(raw ?? {})) {
    const label = `overrides/${JSON.stringify(key.slice(0, 80))}`;
    const tool = key.startsWith(`${server}.`) ? key.slice(server.length + 1) : key;
    if (listed !== undefined && !listed.includes(tool)) {
      const names = listed.slice(0, 64).join(', ');
      return bad(`${label}: the server "${server}" lists no tool of that name; its tools: ${names === '' ? '(none)' : names}`);
    }
    if (out.has(tool)) return bad(`${label}: the tool "${tool}" is named twice (as "${tool}" and "${server}.${tool}")`);
    const tags = o.tags ?? [];
    for (const [i, t] of tags.entries()) {
      if (!isToolTag(t)) return bad(`${label}/tags/${i}: unknown tag ${JSON.stringify(t.slice(0, 64))}; known tags: ${TOOL_TAGS.join(', ')}`);
    }
    out.set(tool, Object.freeze({
      ...(o.risk === undefined ? {} : { risk: o.risk }),
      ...(o.tags === undefined ? {} : { tags: Object.freeze([...tags].sort() as ToolTag[]) }),
      ...(o.requires_approval === undefined ? {} : { requires_approval: o.requires_approval }),
    }));
  }
  return { ok: true, value: out };
}

/** An empty override means "back to the annotation defaults": it is removed, not stored. */
export function isEmptyOverride(o: ToolOverride): boolean {
  return o.risk === undefined && o.tags === undefined && o.requires_approval === undefined;
}

/** The override's fields over the annotation defaults. */
export function withOverride<T extends { risk: Risk; tags: readonly ToolTag[]; requires_approval: boolean }>(defaults: T, o: ToolOverride | undefined): T {
  if (o === undefined) return defaults;
  return {
    ...defaults,
    ...(o.risk === undefined ? {} : { risk: o.risk }),
    ...(o.tags === undefined ? {} : { tags: o.tags }),
    ...(o.requires_approval === undefined ? {} : { requires_approval: o.requires_approval }),
  };
}

type OverrideJson = { risk?: Risk; tags?: ToolTag[]; requires_approval?: boolean };

/** For audit lines, views and the store: plain JSON, sorted by tool. */
export function overridesJson(overrides: ReadonlyMap<string, ToolOverride>): Record<string, OverrideJson> {
  return Object.fromEntries([...overrides].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([tool, o]) => [tool, overrideJson(o)]));
}

export function overrideJson(o: ToolOverride): OverrideJson {
  return {
    ...(o.risk === undefined ? {} : { risk: o.risk }), ...(o.tags === undefined ? {} : { tags: [...o.tags] }),
    ...(o.requires_approval === undefined ? {} : { requires_approval: o.requires_approval }),
  };
}
