/**
 * Gateway error registry (GW_ERR_*): one place for each code's HTTP status and safe title
 * (the registry's `message`, rendered as the problem's `title`). Rendered as RFC 9457
 * problem+json by http/problem.ts. `detail` strings given at throw sites must be safe to show
 * a client: never a stack, secret, raw provider or sandbox text. Built with
 * sandbox/define-errors.ts like every layer's registry; the gateway is the only layer whose
 * registry carries HTTP statuses (and the map from a provider failure's kind to one, below).
 */
import { defineErrors } from '../sandbox/define-errors.ts';
import type { ProviderErrorKind } from '../providers/errors.ts';

export const gatewayErrors = defineErrors('GatewayError', ['GW_ERR_'], {
  GW_ERR_BAD_JSON: { status: 400, message: 'Malformed JSON body' },
  GW_ERR_BAD_PATH: { status: 400, message: 'Malformed request path (bad percent-encoding)' },
  GW_ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Content-Type must be application/json' },
  GW_ERR_BODY_TOO_LARGE: { status: 413, message: 'Request body too large' },
  GW_ERR_VALIDATION: { status: 422, message: 'Request validation failed' },
  GW_ERR_FORBIDDEN_KEY: { status: 422, message: 'Request contains a forbidden key' },
  GW_ERR_UNAUTHENTICATED: { status: 401, message: 'Authentication required' },
  GW_ERR_INVALID_TOKEN: { status: 401, message: 'Invalid, expired or revoked token' },
  GW_ERR_INVALID_CREDENTIALS: { status: 401, message: 'Invalid username or password' },
  GW_ERR_FORBIDDEN: { status: 403, message: 'Not allowed' },
  GW_ERR_HOST_NOT_ALLOWED: { status: 403, message: 'Host header not allowed' },
  GW_ERR_ORIGIN_NOT_ALLOWED: { status: 403, message: 'Origin not allowed' },
  GW_ERR_NOT_FOUND: { status: 404, message: 'Not found' },
  GW_ERR_METHOD_NOT_ALLOWED: { status: 405, message: 'Method not allowed' },
  GW_ERR_CONFLICT: { status: 409, message: 'Conflict' },
  GW_ERR_RATE_LIMITED: { status: 429, message: 'Too many requests' },
  GW_ERR_KILL_SWITCH: { status: 503, message: 'Kill switch is active: tool execution is stopped' },
  GW_ERR_UNAVAILABLE: { status: 503, message: 'Service unavailable' },
  GW_ERR_TOOL_NOT_FOUND: { status: 404, message: 'Unknown tool' },
  GW_ERR_TOOL_NOT_IN_SCOPE: { status: 403, message: 'Tool not in agent scope' },
  GW_ERR_POLICY_DENIED: { status: 403, message: 'Denied by policy' },
  GW_ERR_AGENT_PAUSED: { status: 403, message: 'Agent paused by circuit breaker' },
  GW_ERR_TOOL_CHANGED: { status: 409, message: 'The tool changed since the call was queued' },
  GW_ERR_TOOL_DEFINITION_CHANGED: { status: 403, message: 'The upstream tool\'s definition changed since it was pinned; an admin must re-pin it' },
  GW_ERR_TOOL_NOT_PINNED: { status: 403, message: 'The upstream tool is not pinned yet; an admin must pin it' },
  GW_ERR_UPSTREAM_PACKAGE: { status: 422, message: 'The MCP server package is not installed at that version' },
  GW_ERR_UPSTREAM_MOUNT: { status: 422, message: 'A mount of the MCP server is not allowed' },
  GW_ERR_UPSTREAM_START: { status: 502, message: 'The MCP server did not start or did not answer tools/list' },
  GW_ERR_APPROVAL_TAMPERED: { status: 409, message: 'The stored call does not match its digest; it was not run' },
  GW_ERR_APPROVAL_STALE: { status: 409, message: 'The queued call can no longer run as approved' },
  GW_ERR_APPROVAL_QUEUE_FULL: { status: 429, message: 'Too many calls are waiting for approval' },
  GW_ERR_DELEGATION_SCOPE: { status: 403, message: 'The delegated tools are not a subset of the parent\'s scope' },
  GW_ERR_DELEGATION_TTL: { status: 403, message: 'The delegated TTL exceeds the parent\'s remaining lifetime' },
  GW_ERR_DELEGATION_DEPTH: { status: 403, message: 'The delegation chain would be too deep' },
  GW_ERR_SETUP_DONE: { status: 409, message: 'Setup already completed' },
  GW_ERR_AUDIT_UNAVAILABLE: { status: 503, message: 'Audit log unavailable' },
  GW_ERR_PROVIDER: { status: 502, message: 'Upstream provider error' },
  GW_ERR_PROVIDER_KEY: { status: 503, message: 'Provider key missing or expired' },
  GW_ERR_PROVIDER_DISABLED: { status: 503, message: 'Provider disabled by configuration' },
  GW_ERR_EGRESS_DENIED: { status: 502, message: 'Outbound destination refused' },
  GW_ERR_WORKERS_SATURATED: { status: 503, message: 'All sandbox workers are busy; retry later' },
  GW_ERR_SANDBOX_THROTTLED: { status: 429, message: 'This agent\'s sandbox jobs crashed, timed out or ran out of memory too often; retry after the pause' },
  GW_ERR_BACKEND_UNAVAILABLE: { status: 503, message: 'The sandbox backend this tool needs is unavailable' },
  /** sent as the final SSE `event: error` frame of a stream that reached PALISADE_STREAM_MAX_SECONDS */
  GW_ERR_STREAM_LIFETIME: { status: 408, message: 'The stream reached its maximum lifetime' },
  GW_ERR_INTERNAL: { status: 500, message: 'Internal error' },
});

export const GATEWAY_ERRORS = gatewayErrors.definitions;

export type GatewayErrorCode = (typeof gatewayErrors.codes)[number];

/** The problem `title` of a code: its fixed registry message. */
export function gatewayTitle(code: GatewayErrorCode): string {
  return gatewayErrors.message(code);
}

/**
 * The HTTP status the gateway answers a provider failure of each kind with (the providers layer
 * classifies, it does not know HTTP). 499 is the de-facto "client closed request".
 */
export const PROVIDER_KIND_STATUS: Readonly<Record<ProviderErrorKind, number>> = {
  upstream: 502,
  timeout: 504,
  rate_limited: 429,
  not_configured: 503,
  bad_request: 422,
  not_found: 404,
  aborted: 499,
  internal: 500,
};

/** Thrown (or passed to `next`) by handlers; rendered by the one error middleware. */
export class GatewayError extends gatewayErrors.Error {
  readonly status: number;
  readonly detail: string | undefined;
  readonly extras: Readonly<Record<string, unknown>>;
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    code: GatewayErrorCode,
    detail?: string,
    options: { extras?: Record<string, unknown>; headers?: Record<string, string>; status?: number } = {},
  ) {
    super(code, detail);
    this.status = options.status ?? GATEWAY_ERRORS[code].status;
    this.detail = detail;
    this.extras = options.extras ?? {};
    this.headers = options.headers ?? {};
  }
}

export function gwError(
  code: GatewayErrorCode,
  detail?: string,
  options?: { extras?: Record<string, unknown>; headers?: Record<string, string>; status?: number },
): GatewayError {
  return new GatewayError(code, detail, options);
}
