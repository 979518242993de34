/**
 * Gateway error registry (GW_ERR_*): one place for each code's HTTP status and safe title.
 * Rendered as RFC 9457 problem+json by http/problem.ts. `detail` strings given at throw
 * sites must be safe to show a client: never a stack, secret, raw provider or sandbox text.
 */
export const GATEWAY_ERRORS = {
  GW_ERR_BAD_JSON: { status: 400, title: 'Malformed JSON body' },
  GW_ERR_BAD_PATH: { status: 400, title: 'Malformed request path (bad percent-encoding)' },
  GW_ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Content-Type must be application/json' },
  GW_ERR_BODY_TOO_LARGE: { status: 413, title: 'Request body too large' },
  GW_ERR_VALIDATION: { status: 422, title: 'Request validation failed' },
  GW_ERR_FORBIDDEN_KEY: { status: 422, title: 'Request contains a forbidden key' },
  GW_ERR_UNAUTHENTICATED: { status: 401, title: 'Authentication required' },
  GW_ERR_INVALID_TOKEN: { status: 401, title: 'Invalid, expired or revoked token' },
  GW_ERR_INVALID_CREDENTIALS: { status: 401, title: 'Invalid username or password' },
  GW_ERR_FORBIDDEN: { status: 403, title: 'Not allowed' },
  GW_ERR_HOST_NOT_ALLOWED: { status: 403, title: 'Host header not allowed' },
  GW_ERR_ORIGIN_NOT_ALLOWED: { status: 403, title: 'Origin not allowed' },
  GW_ERR_NOT_FOUND: { status: 404, title: 'Not found' },
  GW_ERR_METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed' },
  GW_ERR_CONFLICT: { status: 409, title: 'Conflict' },
  GW_ERR_RATE_LIMITED: { status: 429, title: 'Too many requests' },
  GW_ERR_KILL_SWITCH: { status: 503, title: 'Kill switch is active: tool execution is stopped' },
  GW_ERR_UNAVAILABLE: { status: 503, title: 'Service unavailable' },
  GW_ERR_TOOL_NOT_FOUND: { status: 404, title: 'Unknown tool' },
  GW_ERR_TOOL_NOT_IN_SCOPE: { status: 403, title: 'Tool not in agent scope' },
  GW_ERR_POLICY_DENIED: { status: 403, title: 'Denied by policy' },
  GW_ERR_AGENT_PAUSED: { status: 403, title: 'Agent paused by circuit breaker' },
  GW_ERR_TOOL_CHANGED: { status: 409, title: 'The tool changed since the call was queued' },
  GW_ERR_APPROVAL_TAMPERED: { status: 409, title: 'The stored call does not match its digest; it was not run' },
  GW_ERR_APPROVAL_STALE: { status: 409, title: 'The queued call can no longer run as approved' },
  GW_ERR_APPROVAL_QUEUE_FULL: { status: 429, title: 'Too many calls are waiting for approval' },
  GW_ERR_DELEGATION_SCOPE: { status: 403, title: 'The delegated tools are not a subset of the parent\'s scope' },
  GW_ERR_DELEGATION_TTL: { status: 403, title: 'The delegated TTL exceeds the parent\'s remaining lifetime' },
  GW_ERR_DELEGATION_DEPTH: { status: 403, title: 'The delegation chain would be too deep' },
  GW_ERR_SETUP_DONE: { status: 409, title: 'Setup already completed' },
  GW_ERR_AUDIT_UNAVAILABLE: { status: 503, title: 'Audit log unavailable' },
  GW_ERR_PROVIDER: { status: 502, title: 'Upstream provider error' },
  GW_ERR_PROVIDER_KEY: { status: 503, title: 'Provider key missing or expired' },
  GW_ERR_PROVIDER_DISABLED: { status: 503, title: 'Provider disabled by configuration' },
  GW_ERR_EGRESS_DENIED: { status: 502, title: 'Outbound destination refused' },
  GW_ERR_WORKERS_SATURATED: { status: 503, title: 'All sandbox workers are busy; retry later' },
  GW_ERR_SANDBOX_THROTTLED: { status: 429, title: 'This agent\'s sandbox jobs crashed, timed out or ran out of memory too often; retry after the pause' },
  GW_ERR_BACKEND_UNAVAILABLE: { status: 503, title: 'The sandbox backend this tool needs is unavailable' },
  /** sent as the final SSE `event: error` frame of a stream that reached PALISADE_STREAM_MAX_SECONDS */
  GW_ERR_STREAM_LIFETIME: { status: 408, title: 'The stream reached its maximum lifetime' },
  GW_ERR_INTERNAL: { status: 500, title: 'Internal error' },
} as const;

export type GatewayErrorCode = keyof typeof GATEWAY_ERRORS;

/** Thrown (or passed to `next`) by handlers; rendered by the one error middleware. */
export class GatewayError extends Error {
  readonly code: GatewayErrorCode;
  readonly status: number;
  readonly detail: string | undefined;
  readonly extras: Readonly<Record<string, unknown>>;
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    code: GatewayErrorCode,
    detail?: string,
    options: { extras?: Record<string, unknown>; headers?: Record<string, string>; status?: number } = {},
  ) {
    super(detail ?? GATEWAY_ERRORS[code].title);
    this.name = 'GatewayError';
    this.code = code;
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
