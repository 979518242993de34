/**
 * Tool registry, built once at start from raw tool folders (built-ins first, then the
 * operator's PALISADE_TOOLS_DIR). Every bad tool is reported, not just the first, so the
 * gateway can stop with the full list. A name may be defined only once: an operator tool
 * can never shadow a built-in. Validators are compiled here, once, and kept with the tool.
 * Handler source is carried as data only; it is never evaluated in the supervisor.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { ValidateFunction } from 'ajv';
import { parseManifest, type BackendPreference, type Risk, type ToolManifest } from './manifest.ts';
import { inScope } from './scope.ts';
import type { JsonObject } from '../../sandbox/json.ts';
import { canonicalJson } from '../approvals/canonical.ts';

/** Same shape as sandbox/actions/load.ts's RawTool: one tool folder as read from disk. */
export interface RawTool {
  readonly dir: string;
  readonly manifest: unknown;
  readonly handler: string;
}

/** Handler source must leave room in a 256 KiB IPC frame for the args. */
export const MAX_HANDLER_BYTES = 128 * 1024;

export interface RegisteredTool {
  readonly manifest: ToolManifest;
  readonly handler: string;
  readonly validateInput: ValidateFunction;
  readonly validateOutput: ValidateFunction;
  readonly sourceDir: string;
  /** sha256 hex of the canonical manifest and the handler source: an approval is bound to it */
  readonly definitionSha256: string;
  /** set for a tool of an upstream MCP server (agent-gateway/upstream/): where calls go */
  readonly upstream?: { readonly server: string; readonly tool: string };
  /** set while an upstream tool may not run (definition changed, not pinned): admission refuses with it */
  readonly unavailable?: { readonly code: 'GW_ERR_TOOL_DEFINITION_CHANGED' | 'GW_ERR_TOOL_NOT_PINNED'; readonly detail: string };
}

/** sha256 over canonical manifest JSON, a NUL, and the handler source (UTF-8). */
export function definitionDigest(manifest: unknown, handler: string): string {
  return createHash('sha256').update(canonicalJson(manifest), 'utf8').update('\0').update(handler, 'utf8').digest('hex');
}

export interface ToolListing {
  readonly name: string;
  readonly description: string;
  readonly input_schema: Readonly<JsonObject>;
  readonly risk: Risk;
  readonly requires_approval: boolean;
  readonly backend: BackendPreference;
  /** the manifest's tags (TOOL_TAGS vocabulary), read by taint rules */
  readonly tags: readonly string[];
}

export interface ToolRegistry {
  get(name: string): RegisteredTool | undefined;
  has(name: string): boolean;
  /** GET /tools shape, sorted by name */
  list(): readonly ToolListing[];
  /**
   * The tools an agent with this scope may call (exact names and globs resolved), sorted by
   * name. Nothing outside the scope is returned, so a caller never learns that it exists.
   */
  listInScope(scope: readonly string[]): readonly RegisteredTool[];
}

export type RegistryResult =
  | { readonly ok: true; readonly registry: ToolRegistry }
  | { readonly ok: false; readonly problems: readonly string[] };

function checkHandler(raw: RawTool, label: string): string | undefined {
  if (typeof raw.handler !== 'string' || raw.handler.trim() === '') return `${label}: handler.js is missing or empty`;
  if (Buffer.byteLength(raw.handler, 'utf8') > MAX_HANDLER_BYTES) {
    return `${label}: handler.js is larger than ${MAX_HANDLER_BYTES} bytes`;
  }
  return undefined;
}

export function buildRegistry(rawTools: readonly RawTool[]): RegistryResult {
  const problems: string[] = [];
  const tools = new Map<string, RegisteredTool>();
  if (!Array.isArray(rawTools)) return { ok: false, problems: ['tool list is not an array'] };

  for (const raw of rawTools) {
    if (raw === null || typeof raw !== 'object') {
      problems.push('a tool entry is not an object');
      continue;
    }
    const dir = typeof raw.dir === 'string' ? raw.dir : '(unknown folder)';
    const manifestLabel = path.join(dir, 'manifest.json');
    const handlerProblem = checkHandler(raw, path.join(dir, 'handler.js'));
    if (handlerProblem !== undefined) problems.push(handlerProblem);
    const parsed = parseManifest(raw.manifest, manifestLabel);
    if (!parsed.ok) {
      problems.push(...parsed.problems);
      continue;
    }
    const { manifest } = parsed;
    if (path.basename(dir) !== manifest.name) {
      problems.push(`${manifestLabel}: /name: "${manifest.name}" does not match its folder name "${path.basename(dir)}"`);
    }
    const existing = tools.get(manifest.name);
    if (existing !== undefined) {
      problems.push(
        `${manifestLabel}: /name: duplicate tool name "${manifest.name}", already defined by ` +
          `${path.join(existing.sourceDir, 'manifest.json')} (a tool cannot shadow another, built-ins included)`,
      );
      continue;
    }
    if (handlerProblem !== undefined) continue;
    tools.set(manifest.name, Object.freeze({
      manifest,
      handler: raw.handler,
      validateInput: parsed.validators.input,
      validateOutput: parsed.validators.output,
      sourceDir: dir,
      definitionSha256: definitionDigest(raw.manifest, raw.handler),
    }));
  }
  if (problems.length > 0) return { ok: false, problems };

  const listing: readonly ToolListing[] = Object.freeze(
    [...tools.values()]
      .map(({ manifest: m }) => Object.freeze({
        name: m.name,
        description: m.description,
        input_schema: m.input_schema,
        risk: m.risk,
        requires_approval: m.requires_approval,
        backend: m.backend,
        tags: m.tags,
      }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
  );
  const byName: readonly RegisteredTool[] = Object.freeze(
    [...tools.values()].sort((a, b) => (a.manifest.name < b.manifest.name ? -1 : a.manifest.name > b.manifest.name ? 1 : 0)),
  );
  const registry: ToolRegistry = Object.freeze({
    get: (name: string) => (typeof name === 'string' ? tools.get(name) : undefined),
    has: (name: string) => typeof name === 'string' && tools.has(name),
    list: () => listing,
    listInScope: (scope: readonly string[]) => byName.filter((t) => inScope(scope, t.manifest.name)),
  });
  return { ok: true, registry };
}

