/**
 * The case file of `palisade policy test`: JSON, or YAML (`.yaml`/`.yml`) parsed with the
 * `yaml` package's safe defaults (YAML 1.2 core schema, no merge keys) and refused outright on
 * anything beyond plain data: an explicit tag (`!foo`, `!!js/function`, even `!!binary`), an
 * alias flood (more than CASE_FILE_MAX_ALIASES aliases, and the package's own expansion cap),
 * a duplicate or non-scalar key, any parse warning. Both formats then pass the ONE schema
 * below (ajv, strict, no coercion), so a YAML file means exactly what the same JSON means.
 * Pure: text in, a typed file or the problems out.
 */
import { Ajv, type ErrorObject } from 'ajv';
import { isAlias, isNode, isPair, isScalar, parseDocument, visit } from 'yaml';
import { AGENT_ID_PATTERN } from '../../agent-gateway/auth/agents.ts';
import { TOOL_TAGS } from '../../agent-gateway/policy/tags.ts';

export const CASE_FILE_MAX_BYTES = 1_048_576;
export const CASE_FILE_MAX_ALIASES = 64;

export type Level = 'low' | 'medium' | 'high';
export interface ToolInfo { readonly risk?: Level; readonly requires_approval?: boolean; readonly tags?: readonly string[] }
export interface Case {
  readonly name?: string; readonly agent: string; readonly chain?: readonly string[];
  readonly history?: ReadonlyArray<{ readonly tool: string; readonly ago_seconds?: number }>;
  readonly call: { readonly tool: string; readonly args?: unknown };
  readonly expect: 'allow' | 'deny' | 'require_approval'; readonly rule_id?: string;
}
export interface CaseFile { readonly policy: unknown; readonly tools?: Readonly<Record<string, ToolInfo>>; readonly cases: readonly Case[] }

/** a tool name as an agent scope may hold one, without glob characters */
const TOOL_NAME = { type: 'string', pattern: '^[A-Za-z0-9_.:-]{1,256}$' };
const SCHEMA = {
  type: 'object', additionalProperties: false, required: ['policy', 'cases'],
  properties: {
    policy: { type: 'object' }, // checked by the gateway's own validatePolicy next
    tools: {
      type: 'object', maxProperties: 1000, propertyNames: TOOL_NAME,
      additionalProperties: {
        type: 'object', additionalProperties: false,
        properties: {
          risk: { enum: ['low', 'medium', 'high'] }, requires_approval: { type: 'boolean' },
          tags: { type: 'array', maxItems: 32, uniqueItems: true, items: { enum: [...TOOL_TAGS] } },
        },
      },
    },
    cases: {
      type: 'array', minItems: 1, maxItems: 10_000,
      items: {
        type: 'object', additionalProperties: false, required: ['agent', 'call', 'expect'],
        properties: {
          name: { type: 'string', maxLength: 200 },
          agent: { type: 'string', pattern: AGENT_ID_PATTERN },
          chain: { type: 'array', maxItems: 16, items: { type: 'string', pattern: AGENT_ID_PATTERN } },
          history: {
            type: 'array', maxItems: 10_000,
            items: {
              type: 'object', additionalProperties: false, required: ['tool'],
              properties: { tool: TOOL_NAME, ago_seconds: { type: 'integer', minimum: 0, maximum: 604_800 } },
            },
          },
          call: { type: 'object', additionalProperties: false, required: ['tool'], properties: { tool: TOOL_NAME, args: {} } },
          expect: { enum: ['allow', 'deny', 'require_approval'] },
          rule_id: { type: 'string', maxLength: 64 },
        },
      },
    },
  },
} as const;

const validate = new Ajv({ strict: true, allErrors: false, coerceTypes: false, useDefaults: false, removeAdditional: false }).compile(SCHEMA);

export type CaseFileResult = { ok: true; file: CaseFile } | { ok: false; problems: string[] };

function schemaProblems(errors: readonly ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((e) => `${e.instancePath === '' ? '/' : e.instancePath}: ${e.keyword === 'additionalProperties'
    ? `must NOT have additional property ${JSON.stringify(String(e.params['additionalProperty']).slice(0, 64))}`
    : (e.message ?? 'is invalid')}`);
}

/** YAML → plain data, or why not (the first problem found is enough to refuse the file). */
export function parseYamlData(text: string): { ok: true; value: unknown } | { ok: false; problems: string[] } {
  const doc = parseDocument(text, { version: '1.2', schema: 'core', merge: false, uniqueKeys: true, prettyErrors: false });
  const issues = [...doc.errors, ...doc.warnings];
  if (issues.length > 0) return { ok: false, problems: issues.slice(0, 5).map((e) => `YAML: ${e.message.split('\n', 1)[0] ?? e.code}`) };
  const problems: string[] = [];
  let aliases = 0;
  visit(doc, (_key, node) => {
    if (isAlias(node)) aliases += 1;
    else if (isNode(node) && node.tag !== undefined) problems.push(`YAML: the tag ${node.tag.slice(0, 80)} is not allowed (plain data only, no custom or explicit tags)`);
    else if (isPair(node) && !isScalar(node.key)) problems.push('YAML: a key must be a plain scalar');
    if (problems.length > 0) return visit.BREAK;
    return undefined;
  });
  if (problems.length > 0) return { ok: false, problems };
  if (aliases > CASE_FILE_MAX_ALIASES) return { ok: false, problems: [`YAML: ${aliases} aliases (more than ${CASE_FILE_MAX_ALIASES}): an alias flood is refused`] };
  try {
    return { ok: true, value: doc.toJS({ maxAliasCount: CASE_FILE_MAX_ALIASES }) };
  } catch (error) {
    return { ok: false, problems: [`YAML: ${(error as Error).message.slice(0, 200)} (an alias flood is refused)`] };
  }
}

export function parseCaseFile(text: string, format: 'json' | 'yaml'): CaseFileResult {
  if (Buffer.byteLength(text, 'utf8') > CASE_FILE_MAX_BYTES) return { ok: false, problems: [`the file is larger than ${CASE_FILE_MAX_BYTES} bytes`] };
  let value: unknown;
  if (format === 'yaml') {
    const y = parseYamlData(text);
    if (!y.ok) return y;
    value = y.value;
  } else {
    try {
      value = JSON.parse(text);
    } catch (error) {
      return { ok: false, problems: [`JSON: ${(error as Error).message.slice(0, 200)}`] };
    }
  }
  if (!validate(value)) return { ok: false, problems: schemaProblems(validate.errors) };
  return { ok: true, file: value as unknown as CaseFile };
}
