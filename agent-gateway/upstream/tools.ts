/**
 * An upstream tool as a RegisteredTool of the one registry, so admission, policy, approvals,
 * the kill switch, audit and receipts treat it exactly like a built-in. Built once per pinned
 * definition: its inputSchema (and outputSchema, when declared) compiled by the same strict,
 * non-mutating ajv as built-in manifests (createToolAjv). Risk and approval default from the
 * annotations (destructiveHint → high and approval required; readOnlyHint → low; tags
 * reads:private when read-only, else writes:local, plus writes:external when open-world) unless
 * the admin overrides them (overrides.ts): each overridden field replaces its default. The
 * description agents see has hidden characters stripped (scan.ts). A definition whose schema
 * does not compile, or whose full name is not a valid tool name, is not exposed.
 */
import type { JsonObject } from '../../sandbox/json.ts';
import {
  createToolAjv, resolveAnnotations, TOOL_NAME_PATTERN, type Risk, type ToolManifest, type ToolTag,
} from '../tools/manifest.ts';
import type { RegisteredTool } from '../tools/registry.ts';
import { withOverride, type ToolOverride } from './overrides.ts';
import type { UpstreamToolDefinition } from './pin.ts';
import { visibleText } from './scan.ts';

export type BuiltTool = { readonly ok: true; readonly tool: RegisteredTool } | { readonly ok: false; readonly problem: string };

const NAME = new RegExp(TOOL_NAME_PATTERN);

function hints(annotations: JsonObject): Record<string, boolean> {
  const out: Record<string, boolean> = {};
  for (const k of ['readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint']) {
    if (typeof annotations[k] === 'boolean') out[k] = annotations[k] as boolean;
  }
  return out;
}

export function buildUpstreamTool(server: string, def: UpstreamToolDefinition, sha256: string, timeoutMs: number, override?: ToolOverride): BuiltTool {
  const name = `${server}.${def.name}`;
  if (!NAME.test(name)) return { ok: false, problem: `tool name ${JSON.stringify(name.slice(0, 80))} is not a valid Palisade tool name` };
  if (def.inputSchema['type'] !== 'object') return { ok: false, problem: 'inputSchema.type must be "object"' };
  const ann = resolveAnnotations(hints(def.annotations), name);
  if (!ann.ok) return { ok: false, problem: ann.problem };
  const ajv = createToolAjv();
  let validateInput;
  let validateOutput;
  try {
    validateInput = ajv.compile(stripSchemaUri(def.inputSchema));
    validateOutput = ajv.compile(def.outputSchema === undefined ? {} : stripSchemaUri(def.outputSchema));
  } catch (error) {
    return { ok: false, problem: `schema does not compile: ${String(error instanceof Error ? error.message : error).slice(0, 200)}` };
  }
  const a = ann.annotations;
  const risk: Risk = a.destructiveHint ? 'high' : a.readOnlyHint ? 'low' : 'medium';
  const tags: ToolTag[] = a.readOnlyHint ? ['reads:private'] : ['writes:local'];
  if (a.openWorldHint && !a.readOnlyHint) tags.push('writes:external');
  const decided = withOverride({ risk, tags: Object.freeze(tags.sort()), requires_approval: a.destructiveHint }, override);
  const manifest: ToolManifest = Object.freeze({
    name,
    description: visibleText(def.description) || def.name,
    input_schema: Object.freeze(def.inputSchema),
    output_schema: Object.freeze(def.outputSchema ?? {}),
    risk: decided.risk,
    requires_approval: decided.requires_approval,
    backend: 'docker',
    trusted: false,
    timeout_ms: timeoutMs,
    memory_mb: 64,
    annotations: a,
    tags: Object.freeze([...decided.tags]),
  });
  return {
    ok: true,
    tool: Object.freeze({
      manifest, handler: '', validateInput, validateOutput, sourceDir: `mcp-server:${server}`,
      definitionSha256: sha256, upstream: Object.freeze({ server, tool: def.name }),
    }),
  };
}

/** `$schema` at the top names a draft; ajv (draft-07 here) rejects draft 2020 URIs it has not loaded. */
function stripSchemaUri(schema: JsonObject): JsonObject {
  const { $schema: _ignored, ...rest } = schema;
  return rest;
}
