/**
 * The egress layer's own errors (EGR_ERR_*): a stable code, a message safe to show, and a
 * log-safe summary. No HTTP status here: the callers (providers, alerts, the audit shipper, the
 * gateway) decide what a refusal means to their clients. The egress imports nothing above it.
 */
export const EGRESS_ERRORS = {
  EGR_ERR_DENIED: 'Outbound destination refused by the egress policy',
  EGR_ERR_REDIRECT_REFUSED: 'The destination answered with a redirect; redirects are never followed',
  EGR_ERR_NETWORK: 'The destination could not be reached',
  EGR_ERR_DNS: 'The destination name could not be resolved',
  EGR_ERR_TIMEOUT: 'The destination did not answer in time',
  EGR_ERR_RESPONSE_TOO_LARGE: 'The response exceeded the size limit',
  EGR_ERR_ABORTED: 'The request was aborted by the caller',
  EGR_ERR_CONFIG: 'The egress configuration is invalid',
} as const;

export type EgressErrorCode = keyof typeof EGRESS_ERRORS;

export class EgressError extends Error {
  readonly code: EgressErrorCode;
  /** log-safe detail (never a body, never credentials) */
  readonly logSummary: string;
  /** the destination's HTTP status, when it answered (redirects) */
  readonly upstreamStatus: number | undefined;

  constructor(code: EgressErrorCode, logSummary = '', upstreamStatus?: number) {
    super(EGRESS_ERRORS[code]);
    this.name = 'EgressError';
    this.code = code;
    this.logSummary = logSummary;
    this.upstreamStatus = upstreamStatus;
  }
}

export function isEgressError(value: unknown): value is EgressError {
  return value instanceof EgressError;
}
