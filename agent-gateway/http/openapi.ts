/**
 * GET /openapi.json: an OpenAPI 3.1 document assembled at request time from
 *  - the request-body schemas the routes validate with (ROUTE_BODY_SCHEMAS, recorded by
 *    bodyValidator when each router is built: the same objects ajv compiled, never a copy),
 *  - the gateway error registry (every problem+json code), and
 *  - the table below: per route its summary, who may call it and the statuses it answers.
 * test/http/openapi.test.ts walks the app's router stack: every registered route must be in the
 * table (and so in the document) and every table row must be a registered route.
 */
import { Router } from 'express';
import type { CoreContext } from '../context.ts';
import { GATEWAY_ERRORS } from '../errors.ts';
import { ROUTE_BODY_SCHEMAS } from './validate-body.ts';

type Who = 'none' | 'admin' | 'user' | 'agent' | 'admin or agent' | 'admin or user' | 'bearer' | 'admin or metrics token' | 'refresh token';

export interface RouteDoc {
  readonly method: 'get' | 'post' | 'put' | 'delete';
  /** the Express path (`/tools/calls/:call_id`) */
  readonly path: string;
  readonly summary: string;
  readonly who: Who;
  /** status → description */
  readonly statuses: Readonly<Record<number, string>>;
  /** for bodies checked by code rather than a JSON Schema: what the body is and where it is checked */
  readonly body?: string;
  readonly query?: readonly string[];
  /** response media type when not JSON */
  readonly produces?: string;
}

const AUTH = { 401: 'missing or invalid token', 403: 'not allowed for this principal' } as const;
const ADMIN = { ...AUTH } as const;
const V = { 422: 'the body does not match the schema (problem+json with `errors[]`)' } as const;

export const ROUTE_DOCS: readonly RouteDoc[] = [
  { method: 'get', path: '/health', summary: 'Liveness', who: 'none', statuses: { 200: '`{status:"ok"}`' } },
  { method: 'get', path: '/health/ready', summary: 'Readiness of the sandbox backends and the audit log', who: 'none', statuses: { 200: 'ready', 503: 'not ready' } },
  { method: 'get', path: '/openapi.json', summary: 'This document', who: 'none', statuses: { 200: 'OpenAPI 3.1' } },
  { method: 'post', path: '/admin/login', summary: 'Log in: access and refresh tokens', who: 'none', statuses: { 200: '`{token, refresh_token, expires_at, role}`', 401: 'wrong username or password', ...V, 429: 'throttled (Retry-After)' } },
  { method: 'post', path: '/admin/refresh', summary: 'Rotate a refresh token', who: 'refresh token', statuses: { 200: 'new token pair', 401: 'invalid, expired or reused refresh token', ...V, 429: 'throttled' } },
  { method: 'post', path: '/admin/revoke', summary: 'Revoke a token (access, refresh or agent)', who: 'admin', statuses: { 200: '`{revoked: true|false}`', ...ADMIN, ...V } },
  { method: 'post', path: '/admin/logout', summary: 'Revoke the calling session', who: 'admin or user', statuses: { 204: 'logged out', 401: AUTH[401] } },
  { method: 'post', path: '/admin/setup', summary: 'Create the first admin with the one-time setup token', who: 'none', statuses: { 201: '`{username, role}`', 401: 'invalid setup token', 409: 'setup already done, or the username exists', ...V, 429: 'throttled' } },
  { method: 'get', path: '/admin/users', summary: 'List users', who: 'admin', statuses: { 200: '`{users:[…]}`', ...ADMIN } },
  { method: 'post', path: '/admin/users', summary: 'Create a user (`admin` or `user`)', who: 'admin', statuses: { 201: 'created', ...ADMIN, 409: 'exists', ...V } },
  { method: 'delete', path: '/admin/users/:u', summary: 'Delete a user and revoke their sessions', who: 'admin', statuses: { 204: 'deleted', ...ADMIN, 404: 'no such user', 409: 'the last admin' } },
  { method: 'post', path: '/admin/users/:u/password', summary: 'Set a password; revokes that user\'s sessions', who: 'admin', statuses: { 200: '`{username, sessions_revoked}`', ...ADMIN, 404: 'no such user', ...V } },
  { method: 'post', path: '/admin/agents', summary: 'Issue an agent token for a tool scope', who: 'admin', statuses: { 201: '`{agent_id, token, expires_at}` (the token is shown once)', ...ADMIN, 409: 'the id exists', ...V, 503: 'audit unavailable' } },
  { method: 'get', path: '/admin/agents', summary: 'List agents (no tokens) with their effective rate limit and delegation parent', who: 'admin', statuses: { 200: '`{agents:[{agent_id, tools, rate_limit, created_by, created_at, expires_at, parent, chain}]}` (`parent` null for an admin-issued agent; `chain` ancestors, root first)', ...ADMIN } },
  { method: 'get', path: '/admin/agents/:id', summary: 'One agent with its live session governance state', who: 'admin', statuses: { 200: 'the listed fields plus `principal` (its chain\'s root), `policy_version`, `risk_score` (within the risk window), `risk` (`{window_seconds, escalate_at, deny_at}` or null) and `tainted` (`[{rule_id, tainted_by, tool, since, until, blocks}]`, empty when not tainted)', ...ADMIN, 404: 'no such agent' } },
  { method: 'post', path: '/agents/delegate', summary: 'Delegate: issue a narrowed child agent token (tools ⊆ the caller\'s, TTL ≤ its remaining, depth ≤ 4)', who: 'agent', statuses: { 201: '`{agent_id, token, expires_at, chain}` (chain: ancestor ids, root first)', ...AUTH, 403: '`GW_ERR_DELEGATION_SCOPE` (`wider[]`), `GW_ERR_DELEGATION_TTL` (`max_ttl_seconds`), `GW_ERR_DELEGATION_DEPTH`, or not an agent token', 409: 'the id exists', ...V, 503: 'audit unavailable (also for a refusal: every refusal is audited before it is answered)' } },
  { method: 'delete', path: '/admin/agents/:id', summary: 'Delete an agent (revokes its token and every agent delegated from it)', who: 'admin', statuses: { 204: 'deleted', ...ADMIN, 404: 'no such agent', 503: 'audit unavailable' } },
  { method: 'get', path: '/tools', summary: 'The tools in the calling agent\'s scope (all for an admin), with their input schemas', who: 'admin or agent', statuses: { 200: '`{tools:[…]}`', ...AUTH } },
  {
    method: 'post', path: '/tools/call', summary: 'Call a tool', who: 'agent',
    body: '`{tool, args}`: `tool` a name in the agent\'s scope, `args` an object matching the tool\'s `input_schema` (GET /tools); checked by the admission pipeline (agent-gateway/tools/admission.ts)',
    statuses: {
      200: '`{status:"ok", call_id, tool, result, duration_ms, receipt}` or `{status:"error", call_id, error:{code, message}}` for a failure inside the sandbox',
      202: '`{status:"pending_approval", approval_id, call_id}`; `Location: /tools/calls/:call_id`', 401: AUTH[401], 403: 'tool unknown or not in the agent\'s scope (the same answer), policy deny, agent paused',
      413: 'body too large', 422: 'name or args invalid', 429: 'rate limited, sandbox-throttled or approval queue full (Retry-After)', 503: 'kill switch, workers saturated or backend unavailable',
    },
  },
  {
    method: 'post', path: '/tools/check', summary: 'Dry run: the decision for each call, nothing executed (audited as a check)', who: 'agent',
    body: '`{calls:[{tool, args}]}` (agent-gateway/tools/check.ts)',
    statuses: { 200: 'one decision per call `{tool, decision:"allow"|"deny"|"require_approval", rule_id, risk}`', ...AUTH, 422: 'calls missing, empty or too many' },
  },
  { method: 'get', path: '/receipts/key', summary: 'The public key that verifies call receipts offline', who: 'none', statuses: { 200: '`{kid, alg:"Ed25519", public_key}`' } },
  { method: 'get', path: '/tools/calls/:call_id', summary: 'A call\'s state and result (poll after a 202)', who: 'admin or agent', statuses: { 200: 'the call `{call_id, agent_id, tool, status, result, error, duration_ms, created_at, updated_at}`; a call that finished ok also carries its `receipt` (the same one the call returned)', ...AUTH, 404: 'no such call' } },
  { method: 'post', path: '/mcp', summary: 'MCP Streamable HTTP endpoint (stateless JSON-RPC)', who: 'agent', body: 'an MCP JSON-RPC message (docs/mcp.md)', statuses: { 200: 'JSON-RPC result', 202: 'notification accepted', 400: 'not a JSON-RPC message', ...AUTH, 405: 'GET/DELETE not supported (stateless)' } },
  { method: 'get', path: '/approvals', summary: 'The approval queue (`?status=pending|approved|rejected|expired|executed|failed`)', who: 'admin or agent', query: ['status'], statuses: { 200: '`{items:[…]}`', ...AUTH, 422: 'bad status' } },
  { method: 'get', path: '/approvals/stream', summary: 'Server-sent events of queue changes', who: 'admin', produces: 'text/event-stream', statuses: { 200: 'event stream', ...AUTH } },
  { method: 'get', path: '/approvals/:id', summary: 'One approval item (args redacted unless an admin asks `?reveal=true`)', who: 'admin or agent', query: ['reveal'], statuses: { 200: '`{approval}`', ...AUTH, 404: 'no such item', 422: 'bad reveal' } },
  { method: 'post', path: '/approvals/:id/approve', summary: 'Approve: runs the exact stored call', who: 'admin', statuses: { 200: 'the call result', 202: '`{status:"running", call_id, approval_id}` when the tool takes longer than PALISADE_APPROVE_WAIT_MS', ...ADMIN, 404: 'no such item', 409: 'not pending', ...V, 503: 'kill switch' } },
  { method: 'post', path: '/approvals/:id/reject', summary: 'Reject a queued call', who: 'admin', statuses: { 200: 'rejected', ...ADMIN, 404: 'no such item', 409: 'not pending', ...V } },
  { method: 'get', path: '/admin/approvals/config', summary: 'Approval timeout', who: 'admin', statuses: { 200: '`{timeout_seconds}`', ...ADMIN } },
  { method: 'put', path: '/admin/approvals/config', summary: 'Set the approval timeout', who: 'admin', body: '`{timeout_seconds}` (agent-gateway/approvals/config.ts)', statuses: { 200: 'saved', ...ADMIN, ...V } },
  { method: 'get', path: '/admin/mcp-servers', summary: 'Upstream MCP servers (env names only, never values) with their tools\' pin state', who: 'admin', statuses: { 200: '`{servers:[{name, package, version, args, env, mounts, network, status, restarts, tools:[{name, state, sha256, pinned_sha256, flags, risk, tags, requires_approval, override}]}]}`', ...ADMIN } },
  { method: 'post', path: '/admin/mcp-servers', summary: 'Register an upstream MCP server (an installed package at its exact version) run in its own hardened container; its tools are pinned. `network`: `none` (default, no network) or `egress-allowlist` (the container still has no network; its connections go through the gateway\'s egress tunnel, which applies the egress allowlist and SSRF checks to each and audits it as `mcp_server.egress`). `overrides: {"<tool>": {risk?, tags?, requires_approval?}}` replaces the annotation defaults field by field', who: 'admin', statuses: { 201: 'the server view; `tools[].flags` from the description scan', ...ADMIN, 409: 'the name exists', 422: 'bad body (an unknown tag is named with the known tags; an override naming no listed tool lists them; a proxy env name such as `HTTPS_PROXY`), `GW_ERR_UPSTREAM_PACKAGE` (not installed at that version), `GW_ERR_UPSTREAM_MOUNT`', 502: '`GW_ERR_UPSTREAM_START` (also: `egress-allowlist` under runsc without the `runsc-egress` runtime registered)', 503: 'audit unavailable' } },
  { method: 'get', path: '/admin/mcp-servers/:name', summary: 'One upstream server, after a live tools/list reconciled against the pins (a changed tool shows `state:"changed"` and its `diff`)', who: 'admin', statuses: { 200: 'the server view', ...ADMIN, 404: 'no such server' } },
  { method: 'delete', path: '/admin/mcp-servers/:name', summary: 'Stop and remove an upstream server and its pins', who: 'admin', statuses: { 204: 'deleted', ...ADMIN, 404: 'no such server', 503: 'audit unavailable' } },
  { method: 'post', path: '/admin/mcp-servers/:name/pin', summary: 'Pin the server\'s current tool definitions (all, or `tools`): re-enables a changed tool, enables a new one. `overrides` (as at registration; `{}` removes one) needs `tools` (`[]`: overrides only)', who: 'admin', statuses: { 200: 'the server view with scan `flags` per tool', ...ADMIN, 404: 'no such server', ...V, 503: 'server not running, or audit unavailable' } },
  { method: 'get', path: '/admin/kill-switch', summary: 'Kill switch state', who: 'admin', statuses: { 200: '`{active, reason, …}`', ...ADMIN } },
  { method: 'post', path: '/admin/kill-switch', summary: 'Stop every tool execution', who: 'admin', body: '`{reason}` (agent-gateway/policy/kill-switch.ts)', statuses: { 200: 'active', ...ADMIN, ...V } },
  { method: 'delete', path: '/admin/kill-switch', summary: 'Resume tool execution', who: 'admin', statuses: { 200: 'inactive', ...ADMIN } },
  { method: 'get', path: '/admin/policy', summary: 'The policy document', who: 'admin', statuses: { 200: '`{rules:[…], …}`', ...ADMIN } },
  { method: 'put', path: '/admin/policy', summary: 'Replace the policy document', who: 'admin', body: '`{rules:[{id, effect:"allow"|"deny"|"require_approval", agents:[glob], tools:[glob], when?}], taint?, risk?}` (agent-gateway/policy/validate.ts)', statuses: { 200: 'saved', ...ADMIN, ...V } },
  { method: 'get', path: '/admin/audit', summary: 'Decrypted audit entries', who: 'admin', query: ['since', 'until', 'event', 'actor', 'limit', 'format'], statuses: { 200: 'JSON entries, or CSV with `format=csv`', ...ADMIN, 422: 'bad query' } },
  { method: 'get', path: '/admin/audit/verify', summary: 'Verify the hash chain and checkpoints', who: 'admin', statuses: { 200: '`{ok, entries, first_bad_seq?, last_checkpoint}`', ...ADMIN } },
  { method: 'post', path: '/admin/audit/rotate-key', summary: 'Rotate the audit encryption key', who: 'admin', statuses: { 200: '`{kid}`', ...ADMIN, 503: 'audit unavailable' } },
  { method: 'post', path: '/chat/complete', summary: 'Chat (Palisade shape); `?stream=true` for server-sent events', who: 'admin or user', query: ['stream'], statuses: { 200: 'JSON or text/event-stream', ...AUTH, ...V, 502: 'provider failed', 503: 'provider disabled or without a key', 504: 'provider timed out' } },
  { method: 'post', path: '/v1/chat/completions', summary: 'OpenAI-compatible chat completions (errors also carry `{error:{message,type,code,param}}`)', who: 'admin or user', statuses: { 200: 'chat.completion, or chat.completion.chunk events ending in `data: [DONE]`', ...AUTH, ...V, 502: 'provider failed', 503: 'provider disabled or without a key', 504: 'provider timed out' } },
  { method: 'get', path: '/v1/models', summary: 'Models of the enabled providers (OpenAI list shape)', who: 'admin or user', statuses: { 200: '`{object:"list", data:[{id, owned_by}]}`', ...AUTH } },
  { method: 'get', path: '/admin/providers', summary: 'Providers: enabled or why not, key status (never a key)', who: 'admin', statuses: { 200: '`{providers:[…]}`', ...ADMIN } },
  { method: 'put', path: '/admin/providers/:name/key', summary: 'Store a provider key (encrypted at rest)', who: 'admin', statuses: { 200: '`{provider, expires_at}`', ...ADMIN, 404: 'unknown provider', ...V } },
  { method: 'post', path: '/admin/providers/:name/rotate', summary: 'Rotate a provider key with an overlap', who: 'admin', statuses: { 200: '`{provider, expires_at, previous_valid_until}`', ...ADMIN, 404: 'unknown provider', ...V } },
  { method: 'delete', path: '/admin/providers/:name/key', summary: 'Delete a stored provider key', who: 'admin', statuses: { 204: 'deleted', ...ADMIN, 404: 'no stored key' } },
  { method: 'get', path: '/admin/redaction-rules', summary: 'Per-origin redaction rules', who: 'admin', statuses: { 200: '`{rules:[…]}`', ...ADMIN } },
  { method: 'get', path: '/admin/redaction-rules/:origin', summary: 'One origin\'s rule (origin URL-encoded)', who: 'admin', statuses: { 200: 'the rule', ...ADMIN, 404: 'no rule', 422: 'bad origin' } },
  { method: 'put', path: '/admin/redaction-rules/:origin', summary: 'Set an origin\'s rule', who: 'admin', statuses: { 200: 'saved', ...ADMIN, ...V } },
  { method: 'delete', path: '/admin/redaction-rules/:origin', summary: 'Delete an origin\'s rule', who: 'admin', statuses: { 204: 'deleted', ...ADMIN, 404: 'no rule' } },
  { method: 'get', path: '/privacy/export', summary: 'Everything stored about a subject', who: 'admin or user', query: ['subject'], statuses: { 200: 'the export', ...AUTH, 422: 'bad subject' } },
  { method: 'delete', path: '/privacy/erase', summary: 'Erase a subject; counts per store', who: 'admin or user', query: ['subject'], statuses: { 200: 'counts', ...AUTH, 409: 'the last admin cannot be erased', 422: 'bad subject' } },
  { method: 'get', path: '/admin/alerts/config', summary: 'Alert thresholds and webhooks', who: 'admin', statuses: { 200: 'the config', ...ADMIN } },
  { method: 'put', path: '/admin/alerts/config', summary: 'Update alert thresholds and webhooks (partial)', who: 'admin', body: '`{webhooks?, validation_error_threshold?, window_seconds?, worker_check_interval_seconds?, approval_queue_threshold?}` (agent-gateway/alerts/config.ts)', statuses: { 200: 'saved', ...ADMIN, ...V } },
  { method: 'get', path: '/metrics', summary: 'Prometheus metrics', who: 'admin or metrics token', produces: 'text/plain', statuses: { 200: 'Prometheus text', ...AUTH } },
  { method: 'get', path: '/console', summary: 'The operator console (HTML; its API calls need an admin token)', who: 'none', produces: 'text/html', statuses: { 200: 'HTML', 404: 'no such asset' } },
];

const toOpenApiPath = (path: string): string => path.replace(/:([A-Za-z_]+)/g, '{$1}');

const PROBLEM_SCHEMA = {
  type: 'object', required: ['type', 'title', 'status', 'detail', 'code', 'request_id'],
  properties: {
    type: { type: 'string' }, title: { type: 'string' }, status: { type: 'integer' }, detail: { type: 'string' },
    code: { enum: Object.keys(GATEWAY_ERRORS) }, request_id: { type: 'string' },
    errors: { type: 'array', items: { type: 'object', properties: { instancePath: { type: 'string' }, message: { type: 'string' } } } },
  },
} as const;

const SECURITY: Readonly<Record<Who, readonly Record<string, never[]>[]>> = {
  none: [], admin: [{ bearer: [] }], user: [{ bearer: [] }], agent: [{ bearer: [] }], 'admin or agent': [{ bearer: [] }],
  'admin or user': [{ bearer: [] }], bearer: [{ bearer: [] }], 'admin or metrics token': [{ bearer: [] }], 'refresh token': [],
};

/** Builds the document (pure over the table and the recorded schemas). */
export function buildOpenApi(bodySchemas: ReadonlyMap<string, Readonly<Record<string, unknown>>> = ROUTE_BODY_SCHEMAS): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of ROUTE_DOCS) {
    const params = [...r.path.matchAll(/:([A-Za-z_]+)/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    const query = (r.query ?? []).map((name) => ({ name, in: 'query', required: false, schema: { type: 'string' } }));
    const schema = bodySchemas.get(`${r.method.toUpperCase()} ${r.path}`);
    const responses: Record<string, unknown> = {};
    for (const [status, description] of Object.entries(r.statuses)) {
      const n = Number(status);
      responses[status] = n >= 400
        ? { description, content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } }
        : n === 204 ? { description } : { description, content: { [r.produces ?? 'application/json']: { schema: {} } } };
    }
    const op: Record<string, unknown> = {
      operationId: `${r.method}${r.path.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`,
      summary: r.summary,
      description: `Who: ${r.who}.${r.body !== undefined ? ` Body: ${r.body}.` : ''}`,
      security: SECURITY[r.who],
      ...(params.length + query.length > 0 ? { parameters: [...params, ...query] } : {}),
      ...(schema !== undefined
        ? { requestBody: { required: true, content: { 'application/json': { schema } } } }
        : r.body !== undefined ? { requestBody: { required: true, description: r.body, content: { 'application/json': { schema: { type: 'object' } } } } } : {}),
      responses,
    };
    (paths[toOpenApiPath(r.path)] ??= {})[r.method] = op;
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Palisade', version: '0.1.0', description: 'Localhost agent gateway. Errors are RFC 9457 problem+json with a stable `code`. A walk-through is docs/api.md.' },
    servers: [{ url: 'http://127.0.0.1:8080' }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'an admin/user access token (POST /admin/login) or an agent token (POST /admin/agents)' } },
      schemas: { Problem: PROBLEM_SCHEMA },
    },
    paths,
  };
}

export function openApiRoutes(_ctx: CoreContext): Router {
  const r = Router();
  r.get('/openapi.json', (_req, res) => {
    res.json(buildOpenApi());
  });
  return r;
}
