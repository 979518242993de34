/**
 * Tool manifest parsing (manifest.json of a tool folder). The shape is checked with ajv
 * (extra keys are an error), then semantics: input_schema and output_schema must compile
 * with ajv in strict mode and input_schema must be `type: "object"`. Defaults are applied by
 * building a NEW deep-frozen object; the input is never mutated. Every problem names the
 * source file and a JSON Pointer into it.
 *
 * The manifest meta-check uses allErrors so an operator sees every problem at once: it only
 * ever runs at start on operator files, never on request input. Tool validators (which do see
 * request input) use TOOL_AJV_OPTIONS: no allErrors, coercion, defaults or removal.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import formatsModule from 'ajv-formats';
import type { JsonObject, JsonValue } from '../../sandbox/json.ts';

export const TOOL_NAME_PATTERN = '^[a-z][a-z0-9_.-]{0,63}$';
export type Risk = 'low' | 'medium' | 'high';
export type BackendPreference = 'any' | 'isolate' | 'docker' | 'prefer-docker';

/**
 * MCP tool annotations (hints for clients, never trusted for security decisions). A manifest
 * may omit any of them; a missing hint takes the MCP specification's default, which is the
 * cautious reading (may write, may destroy, not idempotent, reaches the outside world).
 */
export interface ToolAnnotations {
  readonly readOnlyHint: boolean;
  readonly destructiveHint: boolean;
  readonly idempotentHint: boolean;
  readonly openWorldHint: boolean;
}

export const ANNOTATION_KEYS = ['readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint'] as const;

export const DEFAULT_ANNOTATIONS: ToolAnnotations = Object.freeze({
  readOnlyHint: false,
  destructiveHint: true,
  idempotentHint: false,
  openWorldHint: true,
});

// The tag vocabulary is a policy concept (taint rules name tags): it lives in policy/tags.ts.
export { TOOL_TAGS, isToolTag, type ToolTag } from '../policy/tags.ts';
import { TOOL_TAGS, isToolTag, type ToolTag } from '../policy/tags.ts';

export interface ToolManifest {
  readonly name: string;
  readonly description: string;
  readonly input_schema: Readonly<JsonObject>;
  readonly output_schema: Readonly<JsonObject>;
  readonly risk: Risk;
  readonly requires_approval: boolean;
  readonly backend: BackendPreference;
  /**
   * isolate only: the operator vouches for the handler code, so it runs in the host's long-lived
   * hardened realm (SES lockdown, handler compiled once) instead of a fresh context per call.
   * Never for a tool that runs caller-supplied code (js.eval). Default false. (issue 12)
   */
  readonly trusted: boolean;
  /**
   * docker only: the OCI runtime this tool's containers must use (issue 20); only towards the
   * stronger runtime than PALISADE_DOCKER_RUNTIME (checked at load, gateway.ts loadRegistry)
   */
  readonly docker_runtime?: 'runc' | 'runsc';
  readonly timeout_ms: number;
  readonly memory_mb: number;
  readonly annotations: ToolAnnotations;
  /** from TOOL_TAGS, sorted, no duplicates; [] when the manifest has none */
  readonly tags: readonly ToolTag[];
}

export interface ToolValidators {
  readonly input: ValidateFunction;
  readonly output: ValidateFunction;
}

export type ManifestResult =
  | { readonly ok: true; readonly manifest: ToolManifest; readonly validators: ToolValidators }
  | { readonly ok: false; readonly problems: readonly string[] };

export const TOOL_AJV_OPTIONS = Object.freeze({
  strict: true,
  allErrors: false,
  coerceTypes: false,
  useDefaults: false,
  removeAdditional: false,
} as const);

/** A fresh ajv instance for one tool's schemas (strict, non-mutating, with formats). */
export function createToolAjv(): Ajv {
  const ajv = new Ajv({ ...TOOL_AJV_OPTIONS });
  formatsModule.default(ajv);
  return ajv;
}

const MANIFEST_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'description', 'input_schema', 'output_schema', 'risk', 'requires_approval'],
  properties: {
    name: { type: 'string', pattern: TOOL_NAME_PATTERN },
    description: { type: 'string', minLength: 1, maxLength: 1000 },
    input_schema: { type: 'object' },
    output_schema: { type: 'object' },
    risk: { type: 'string', enum: ['low', 'medium', 'high'] },
    requires_approval: { type: 'boolean' },
    backend: { type: 'string', enum: ['any', 'isolate', 'docker', 'prefer-docker'] },
    trusted: { type: 'boolean' },
    docker_runtime: { type: 'string', enum: ['runc', 'runsc'] },
    timeout_ms: { type: 'integer', minimum: 1, maximum: 60000 },
    memory_mb: { type: 'integer', minimum: 8, maximum: 512 },
    tags: { type: 'array', maxItems: 32, uniqueItems: true, items: { type: 'string', minLength: 1, maxLength: 64 } },
    annotations: {
      type: 'object',
      additionalProperties: false,
      properties: Object.fromEntries(ANNOTATION_KEYS.map((k) => [k, { type: 'boolean' }])),
    },
  },
} as const;

const checkShape = new Ajv({ strict: true, allErrors: true }).compile(MANIFEST_SCHEMA);

function describe(label: string, e: ErrorObject): string {
  const params = e.params as Record<string, unknown>;
  if (e.keyword === 'additionalProperties') {
    return `${label}: /${String(params['additionalProperty'])}: unknown key`;
  }
  if (e.keyword === 'required') {
    return `${label}: /${String(params['missingProperty'])}: required key is missing`;
  }
  return `${label}: ${e.instancePath || '/'}: ${e.message ?? 'is invalid'}`;
}

/**
 * The manifest's annotations (shape already checked) with the MCP defaults filled in. A tool
 * that claims to be read-only cannot also claim to be destructive.
 */
export function resolveAnnotations(raw: unknown, label: string): { ok: true; annotations: ToolAnnotations } | { ok: false; problem: string } {
  const given = (raw ?? {}) as Partial<Record<(typeof ANNOTATION_KEYS)[number], boolean>>;
  const annotations: ToolAnnotations = Object.freeze({
    readOnlyHint: given.readOnlyHint ?? DEFAULT_ANNOTATIONS.readOnlyHint,
    // the MCP default for destructiveHint applies only to tools that are not read-only
    destructiveHint: given.destructiveHint ?? (given.readOnlyHint === true ? false : DEFAULT_ANNOTATIONS.destructiveHint),
    idempotentHint: given.idempotentHint ?? DEFAULT_ANNOTATIONS.idempotentHint,
    openWorldHint: given.openWorldHint ?? DEFAULT_ANNOTATIONS.openWorldHint,
  });
  if (annotations.readOnlyHint && annotations.destructiveHint) {
    return { ok: false, problem: `${label}: /annotations: a read-only tool cannot be destructive (readOnlyHint and destructiveHint both true)` };
  }
  return { ok: true, annotations };
}

function deepFreezeCopy<T extends JsonValue>(value: T): T {
  const copy = JSON.parse(JSON.stringify(value)) as T;
  const stack: unknown[] = [copy];
  for (let v = stack.pop(); v !== undefined; v = stack.pop()) {
    if (v !== null && typeof v === 'object') {
      Object.freeze(v);
      stack.push(...Object.values(v));
    }
  }
  return copy;
}

function compileSchema(ajv: Ajv, schema: JsonObject, label: string, pointer: string, problems: string[]): ValidateFunction | undefined {
  try {
    const validate = ajv.compile(schema);
    if ((validate as { $async?: unknown }).$async === true) {
      problems.push(`${label}: ${pointer}: async schemas are not supported`);
      return undefined;
    }
    return validate;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    problems.push(`${label}: ${pointer}: schema does not compile: ${message.slice(0, 300)}`);
    return undefined;
  }
}

export function parseManifest(raw: unknown, sourceLabel: string): ManifestResult {
  if (!checkShape(raw)) {
    return { ok: false, problems: (checkShape.errors ?? []).map((e) => describe(sourceLabel, e)) };
  }
  const r = raw as unknown as Record<string, JsonValue>;
  const problems: string[] = [];
  let input: JsonObject;
  let output: JsonObject;
  try {
    input = deepFreezeCopy(r['input_schema'] as JsonObject);
    output = deepFreezeCopy(r['output_schema'] as JsonObject);
  } catch {
    return { ok: false, problems: [`${sourceLabel}: /: schemas must be plain JSON`] };
  }
  if (input['type'] !== 'object') problems.push(`${sourceLabel}: /input_schema/type: must be "object"`);
  const annotations = resolveAnnotations(r['annotations'], sourceLabel);
  if (!annotations.ok) problems.push(annotations.problem);
  const rawTags = (r['tags'] ?? []) as string[];
  rawTags.forEach((t, i) => {
    if (!isToolTag(t)) problems.push(`${sourceLabel}: /tags/${i}: unknown tag "${t}"; known tags: ${TOOL_TAGS.join(', ')}`);
  });
  const ajv = createToolAjv();
  const validateInput = compileSchema(ajv, input, sourceLabel, '/input_schema', problems);
  const validateOutput = compileSchema(ajv, output, sourceLabel, '/output_schema', problems);
  if (problems.length > 0 || validateInput === undefined || validateOutput === undefined || !annotations.ok) {
    return { ok: false, problems };
  }
  const manifest: ToolManifest = Object.freeze({
    name: r['name'] as string,
    description: r['description'] as string,
    input_schema: input,
    output_schema: output,
    risk: r['risk'] as Risk,
    requires_approval: r['requires_approval'] as boolean,
    backend: (r['backend'] ?? 'any') as BackendPreference,
    trusted: r['trusted'] === true,
    ...(r['docker_runtime'] === undefined ? {} : { docker_runtime: r['docker_runtime'] as 'runc' | 'runsc' }),
    timeout_ms: (r['timeout_ms'] ?? 5000) as number,
    memory_mb: (r['memory_mb'] ?? 64) as number,
    annotations: annotations.annotations,
    tags: Object.freeze([...rawTags].sort() as ToolTag[]),
  });
  return { ok: true, manifest, validators: Object.freeze({ input: validateInput, output: validateOutput }) };
}
