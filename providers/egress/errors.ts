/**
 * The egress layer's own errors (EGR_ERR_*): a stable code, a message safe to show, and a
 * log-safe summary. No HTTP status here: the callers (providers, alerts, the audit shipper, the
 * gateway) decide what a refusal means to their clients. The egress imports nothing above it
 * (its registry is built with sandbox/define-errors.ts, the import-free ground floor).
 */
import { defineErrors } from '../../sandbox/define-errors.ts';

export const egressErrors = defineErrors('EgressError', ['EGR_ERR_'], {
  EGR_ERR_DENIED: { message: 'Outbound destination refused by the egress policy' },
  EGR_ERR_REDIRECT_REFUSED: { message: 'The destination answered with a redirect; redirects are never followed' },
  EGR_ERR_NETWORK: { message: 'The destination could not be reached' },
  EGR_ERR_DNS: { message: 'The destination name could not be resolved' },
  EGR_ERR_TIMEOUT: { message: 'The destination did not answer in time' },
  EGR_ERR_RESPONSE_TOO_LARGE: { message: 'The response exceeded the size limit' },
  EGR_ERR_ABORTED: { message: 'The request was aborted by the caller' },
  EGR_ERR_CONFIG: { message: 'The egress configuration is invalid' },
});

export const EGRESS_ERRORS = egressErrors.definitions;

export type EgressErrorCode = (typeof egressErrors.codes)[number];

export class EgressError extends egressErrors.Error {
  /** log-safe detail (never a body, never credentials) */
  readonly logSummary: string;
  /** the destination's HTTP status, when it answered (redirects) */
  readonly upstreamStatus: number | undefined;

  constructor(code: EgressErrorCode, logSummary = '', upstreamStatus?: number) {
    super(code);
    this.logSummary = logSummary;
    this.upstreamStatus = upstreamStatus;
  }
}

export function isEgressError(value: unknown): value is EgressError {
  return value instanceof EgressError;
}
