/**
 * Definition pinning (issue 16 item 4). Pure. A tool's definition is the canonical JSON of
 * {name, description, inputSchema, annotations} (plus outputSchema when the server declares one,
 * since it decides how results are checked); its sha256 is pinned by an admin. On every later
 * tools/list each tool is reconciled against its pin: the same digest → enabled; a different one
 * → disabled (`changed`, with a diff for the alert); no pin → disabled (`unpinned`) until pinned.
 */
import { createHash } from 'node:crypto';
import { isPlainObject, type JsonObject, type JsonValue } from '../../sandbox/json.ts';
import { canonicalJson } from '../approvals/canonical.ts';

export interface UpstreamToolDefinition {
  readonly name: string;
  readonly description: string;
  readonly inputSchema: JsonObject;
  readonly annotations: JsonObject;
  readonly outputSchema?: JsonObject;
}

export interface Pin {
  readonly tool: string;
  readonly sha256: string;
  readonly definition: UpstreamToolDefinition;
}

export type ToolState =
  | { readonly state: 'enabled'; readonly definition: UpstreamToolDefinition; readonly sha256: string }
  | { readonly state: 'changed'; readonly definition: UpstreamToolDefinition; readonly sha256: string; readonly pinned: Pin; readonly diff: string }
  | { readonly state: 'unpinned'; readonly definition: UpstreamToolDefinition; readonly sha256: string };

/** The definition as MCP sent it, shape-checked and rebuilt (hostile input); undefined if malformed. */
export function toDefinition(raw: unknown): UpstreamToolDefinition | undefined {
  if (!isPlainObject(raw)) return undefined;
  const { name, description, inputSchema, annotations, outputSchema } = raw as Record<string, unknown>;
  if (typeof name !== 'string' || name.length === 0 || name.length > 128) return undefined;
  if (description !== undefined && typeof description !== 'string') return undefined;
  if (!isPlainObject(inputSchema)) return undefined;
  if (annotations !== undefined && !isPlainObject(annotations)) return undefined;
  if (outputSchema !== undefined && !isPlainObject(outputSchema)) return undefined;
  const copy = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
  return {
    name, description: description ?? '', inputSchema: copy(inputSchema as JsonObject),
    annotations: copy((annotations ?? {}) as JsonObject),
    ...(outputSchema === undefined ? {} : { outputSchema: copy(outputSchema as JsonObject) }),
  };
}

export function definitionSha256(def: UpstreamToolDefinition): string {
  return createHash('sha256').update(canonicalJson(def as unknown as JsonValue), 'utf8').digest('hex');
}

/** A short, line-per-field diff of two definitions (values canonical JSON, each capped). */
export function definitionDiff(before: UpstreamToolDefinition, after: UpstreamToolDefinition): string {
  const lines: string[] = [];
  const keys = ['name', 'description', 'inputSchema', 'annotations', 'outputSchema'] as const;
  for (const k of keys) {
    const a = before[k] === undefined ? '(none)' : canonicalJson(before[k] as JsonValue);
    const b = after[k] === undefined ? '(none)' : canonicalJson(after[k] as JsonValue);
    if (a !== b) lines.push(`${k}: - ${a.slice(0, 400)}`, `${k}: + ${b.slice(0, 400)}`);
  }
  return lines.join('\n');
}

export function reconcile(pins: ReadonlyMap<string, Pin>, listed: readonly UpstreamToolDefinition[]): readonly ToolState[] {
  return listed.map((definition): ToolState => {
    const sha256 = definitionSha256(definition);
    const pin = pins.get(definition.name);
    if (pin === undefined) return { state: 'unpinned', definition, sha256 };
    if (pin.sha256 === sha256) return { state: 'enabled', definition, sha256 };
    return { state: 'changed', definition, sha256, pinned: pin, diff: definitionDiff(pin.definition, definition) };
  });
}
