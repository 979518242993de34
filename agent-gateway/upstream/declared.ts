/**
 * PALISADE_MCP_SERVERS_FILE (issue 16 item 1: "a config file option so a restart brings them
 * back"): upstream MCP servers declared in a JSON file, read once when the gateway opens.
 *
 *   { "servers": [ { "name", "package", "version", "args"?, "env"?, "mounts"?, "network"?, "overrides"? } ] }
 *
 * Each entry has exactly the shape of the POST /admin/mcp-servers body and passes the same checks
 * (register.ts planServer: name, network, env, mounts, the package installed at that version,
 * override tags); names are unique. The file is a regular file of at most 1 MiB, not writable by
 * group or others (whoever can write it chooses code and mounts), and, when an entry carries env
 * values, not readable by them either. openGateway reads it once (open.ts loadDeclared), before
 * anything starts: any problem stops the start, every problem listed with the entry and field it
 * is about. The result is deep-frozen. What the gateway then does with it is provision.ts.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject } from 'ajv';
import { deepFreeze } from '../env-reader.ts';
import { planServer, REGISTER_SCHEMA, type PlanContext, type RegisterBody, type ServerPlan } from './register.ts';

/** the gateway's own node_modules: always searched for server packages */
export const GATEWAY_NODE_MODULES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'node_modules');
export const MAX_SERVERS_FILE_BYTES = 1024 * 1024;
export const MAX_DECLARED_SERVERS = 64;
const LABEL = 'PALISADE_MCP_SERVERS_FILE';

const FILE_SCHEMA = {
  type: 'object', additionalProperties: false, required: ['servers'],
  properties: { servers: { type: 'array', maxItems: MAX_DECLARED_SERVERS, items: REGISTER_SCHEMA } },
} as const;

// an operator's file, size-capped: every shape problem at once, as for tool manifests
const checkShape = new Ajv({ strict: true, allErrors: true }).compile(FILE_SCHEMA);

export interface DeclaredServer {
  readonly body: RegisterBody;
  readonly plan: ServerPlan;
}

export type DeclaredResult = { readonly ok: true; readonly servers: readonly DeclaredServer[] } | { readonly ok: false; readonly problems: readonly string[] };

function describe(e: ErrorObject): string {
  const params = e.params as Record<string, unknown>;
  const at = e.instancePath || '/';
  if (e.keyword === 'additionalProperties') return `${LABEL}: ${at}: unknown key "${String(params['additionalProperty']).slice(0, 64)}"`;
  if (e.keyword === 'required') return `${LABEL}: ${at}: required key "${String(params['missingProperty'])}" is missing`;
  return `${LABEL}: ${at}: ${e.message ?? 'is invalid'}`;
}

/** The file's text, checked whole. `readableByOthers`: whether its mode lets group or others read it. */
export function parseDeclaredServers(text: string, ctx: PlanContext, readableByOthers = false): DeclaredResult {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return { ok: false, problems: [`${LABEL}: not valid JSON (${String(error instanceof Error ? error.message : error).slice(0, 200)})`] };
  }
  if (!checkShape(raw)) return { ok: false, problems: (checkShape.errors ?? []).slice(0, 50).map(describe) };
  const bodies = (raw as { servers: RegisterBody[] }).servers;
  const problems: string[] = [];
  const servers: DeclaredServer[] = [];
  const seen = new Set<string>();
  for (const [i, body] of bodies.entries()) {
    const at = `${LABEL}: /servers/${i} ("${body.name}")`;
    if (seen.has(body.name)) problems.push(`${at}: the name is declared twice`);
    seen.add(body.name);
    if (readableByOthers && Object.keys(body.env ?? {}).length > 0) problems.push(`${at}: env values in a file readable by group or others (chmod 600 it)`);
    const plan = planServer(body, ctx);
    if (!plan.ok) problems.push(`${at}: ${plan.reason}`);
    else servers.push({ body, plan: plan.value });
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, servers: deepFreeze(servers) };
}

export function loadDeclaredServers(file: string, ctx: PlanContext): DeclaredResult {
  let st;
  try {
    st = statSync(file);
  } catch {
    return { ok: false, problems: [`${LABEL}: ${file} does not exist or cannot be read`] };
  }
  if (!st.isFile()) return { ok: false, problems: [`${LABEL}: ${file} is not a regular file`] };
  if (st.size > MAX_SERVERS_FILE_BYTES) return { ok: false, problems: [`${LABEL}: ${file} is larger than ${MAX_SERVERS_FILE_BYTES} bytes`] };
  if ((st.mode & 0o022) !== 0) return { ok: false, problems: [`${LABEL}: ${file} is writable by group or others (chmod go-w it)`] };
  return parseDeclaredServers(readFileSync(file, 'utf8'), ctx, (st.mode & 0o044) !== 0);
}
