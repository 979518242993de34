/**
 * Pure mapping from the one tool pipeline's outcomes (callTool) to MCP `tools/call` results.
 * Every tool-level refusal is an `isError: true` result with `structuredContent: {code,
 * message, …}` and one readable text item, never a protocol error: protocol errors are kept for
 * malformed JSON-RPC. Nothing here builds text from anything but the pipeline's own safe
 * fields (codes, messages, schema error pointers), so no stack or internal detail can leak.
 */
import type { JsonValue } from '../../sandbox/json.ts';
import { GatewayError } from '../errors.ts';
import type { CallBody } from '../tools/execute.ts';
import type { ToolAnnotations } from '../tools/manifest.ts';
import type { RegisteredTool } from '../tools/registry.ts';

/** The structural subset of the SDK's CallToolResult this adapter produces. */
export interface McpToolResult {
  [key: string]: unknown;
  content: Array<{ type: 'text'; text: string }>;
  structuredContent: Record<string, unknown>;
  isError?: boolean;
  _meta?: Record<string, unknown>;
}

export interface McpToolListing {
  [key: string]: unknown;
  name: string;
  description: string;
  inputSchema: { [key: string]: unknown; type: 'object' };
  annotations: ToolAnnotations;
  /** the manifest's tags, under the tool's _meta (MCP has no tags field) */
  _meta: { tags: readonly string[] };
}

/** Keys copied from a refusal's extras into structuredContent (schema errors, the deciding rule). */
const SAFE_EXTRAS = ['errors', 'rule_id', 'tainted_by'] as const;
const MAX_TEXT_ERRORS = 20;

export function toMcpTool(tool: RegisteredTool): McpToolListing {
  const m = tool.manifest;
  return {
    name: m.name,
    description: m.description,
    inputSchema: m.input_schema as McpToolListing['inputSchema'],
    annotations: m.annotations,
    _meta: { tags: m.tags },
  };
}

/** MCP requires structuredContent to be an object: anything else is wrapped as {result}. */
export function structured(value: JsonValue): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? { ...value } : { result: value };
}

function metaOf(body: { call_id: string } & Record<string, unknown>): Record<string, unknown> {
  const meta: Record<string, unknown> = { call_id: body.call_id };
  // receipts (when the pipeline issues them) travel with the result, as on REST
  if (body['receipt'] !== undefined) meta['receipt'] = body['receipt'];
  return meta;
}

export function errorResult(code: string, message: string, extra: Record<string, unknown> = {}): McpToolResult {
  const content: McpToolResult['structuredContent'] = { code, message, ...extra };
  const lines = [`${code}: ${message}`];
  const errors = extra['errors'];
  if (Array.isArray(errors)) {
    for (const e of errors.slice(0, MAX_TEXT_ERRORS)) {
      const item = e as { instancePath?: unknown; message?: unknown };
      lines.push(`  at ${String(item.instancePath ?? '') || '/'}: ${String(item.message ?? 'is invalid')}`);
    }
    if (errors.length > MAX_TEXT_ERRORS) lines.push(`  … ${errors.length - MAX_TEXT_ERRORS} more`);
  }
  const callId = extra['call_id'];
  return {
    content: [{ type: 'text', text: lines.join('\n') }],
    structuredContent: content,
    isError: true,
    ...(typeof callId === 'string' ? { _meta: { call_id: callId } } : {}),
  };
}

/** A finished call (POST /tools/call's 200 body): ok → the result; sandbox error → isError. */
export function callBodyResult(body: CallBody): McpToolResult {
  if (body.status === 'error') return errorResult(body.error.code, body.error.message, { call_id: body.call_id });
  const content = structured(body.result);
  return {
    content: [{ type: 'text', text: JSON.stringify(body.result) }],
    structuredContent: content,
    _meta: metaOf(body as CallBody & Record<string, unknown>),
  };
}

export interface PendingBody {
  readonly status: 'pending_approval';
  readonly approval_id: string;
  readonly call_id: string;
  readonly rule_id?: string;
}

export function pendingResult(p: PendingBody): McpToolResult {
  return {
    content: [{
      type: 'text',
      text: `This call needs a human's approval before it runs (approval ${p.approval_id}, call ${p.call_id}). ` +
        'Nothing has run yet. Tell the user an admin must approve it in Palisade; once approved it runs once, and its ' +
        `result can be read with GET /tools/calls/${p.call_id}. Do not retry the same call in a loop.`,
    }],
    structuredContent: { status: p.status, approval_id: p.approval_id, call_id: p.call_id, ...(p.rule_id === undefined ? {} : { rule_id: p.rule_id }) },
    isError: true,
    _meta: { call_id: p.call_id, approval_id: p.approval_id },
  };
}

/** The wait ended without a result: the admin rejected the call, or it expired unapproved. */
export function decidedResult(status: 'approval_rejected' | 'approval_expired', p: PendingBody): McpToolResult {
  const what = status === 'approval_rejected' ? 'An admin rejected this call' : 'Nobody approved this call in time; it expired';
  return {
    content: [{ type: 'text', text: `${what} (approval ${p.approval_id}, call ${p.call_id}). It did not run.` }],
    structuredContent: { status, code: status, message: `${what}.`, approval_id: p.approval_id, call_id: p.call_id },
    isError: true,
    _meta: { call_id: p.call_id, approval_id: p.approval_id },
  };
}

/**
 * A refusal thrown by the pipeline. A GatewayError keeps its stable code, its safe message and
 * its schema errors / rule id; anything else is an internal fault and is reported as
 * GW_ERR_INTERNAL without its text.
 */
export function refusalResult(error: unknown): McpToolResult {
  if (!(error instanceof GatewayError)) return errorResult('GW_ERR_INTERNAL', 'Internal error.');
  const extra: Record<string, unknown> = {};
  for (const key of SAFE_EXTRAS) {
    if (error.extras[key] !== undefined) extra[key] = error.extras[key];
  }
  const retry = error.headers['Retry-After'];
  if (retry !== undefined && /^\d{1,9}$/.test(retry)) extra['retry_after_seconds'] = Number(retry);
  return errorResult(error.code, error.detail ?? error.message, extra);
}
