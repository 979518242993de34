/**
 * Provider error registry (PRV_ERR_*): code, a transport-neutral `kind` (what sort of failure
 * it is; the gateway maps a kind to its HTTP status in agent-gateway/errors.ts, no status lives
 * here) and a message safe to show a client. Upstream bodies and messages never go into these:
 * `logSummary` carries a short, log-safe description (status, byte counts, reason codes).
 */
import { defineErrors } from '../sandbox/define-errors.ts';
import { egressErrors, isEgressError, type EgressError, type EgressErrorCode } from './egress/errors.ts';

/** What sort of failure a provider code is, independent of any transport. */
export type ProviderErrorKind =
  | 'upstream' | 'timeout' | 'rate_limited' | 'not_configured' | 'bad_request' | 'not_found' | 'aborted' | 'internal';

interface ProviderErrorDefinition {
  readonly kind: ProviderErrorKind;
  readonly message: string;
}

export const providerErrors = defineErrors('ProviderError', ['PRV_ERR_'], {
  PRV_ERR_REDIRECT_REFUSED: { kind: 'upstream', message: 'Upstream answered with a redirect; redirects are not followed' },
  PRV_ERR_UPSTREAM_AUTH: { kind: 'upstream', message: 'Upstream provider rejected the credentials' },
  PRV_ERR_UPSTREAM_RATE_LIMITED: { kind: 'rate_limited', message: 'Upstream provider is rate limiting' },
  PRV_ERR_UPSTREAM_CLIENT: { kind: 'upstream', message: 'Upstream provider rejected the request' },
  PRV_ERR_UPSTREAM_SERVER: { kind: 'upstream', message: 'Upstream provider failed' },
  PRV_ERR_UPSTREAM_NETWORK: { kind: 'upstream', message: 'Upstream provider unreachable' },
  PRV_ERR_UPSTREAM_TIMEOUT: { kind: 'timeout', message: 'Upstream provider timed out' },
  PRV_ERR_RESPONSE_TOO_LARGE: { kind: 'upstream', message: 'Upstream response exceeded the size limit' },
  PRV_ERR_BAD_RESPONSE: { kind: 'upstream', message: 'Upstream response was malformed' },
  PRV_ERR_ABORTED: { kind: 'aborted', message: 'Request aborted' },
  PRV_ERR_KEY_MISSING: { kind: 'not_configured', message: 'No key configured for this provider' },
  PRV_ERR_KEY_EXPIRED: { kind: 'not_configured', message: 'The key for this provider has expired' },
  PRV_ERR_KEY_INVALID: { kind: 'bad_request', message: 'Key value is not acceptable' },
  PRV_ERR_UNKNOWN_PROVIDER: { kind: 'not_found', message: 'Unknown or disabled provider' },
  PRV_ERR_PROVIDER_DISABLED: { kind: 'not_configured', message: 'This provider is disabled by the gateway configuration' },
  PRV_ERR_BAD_REQUEST: { kind: 'bad_request', message: 'Chat request is not valid' },
  PRV_ERR_FAILOVER_EXHAUSTED: { kind: 'upstream', message: 'No allowed provider could serve the request' },
  PRV_ERR_CONFIG: { kind: 'internal', message: 'Provider configuration is invalid' },
} satisfies Record<`PRV_ERR_${string}`, ProviderErrorDefinition>);

export const PROVIDER_ERRORS = providerErrors.definitions;

export type ProviderErrorCode = (typeof providerErrors.codes)[number];

export class ProviderError extends providerErrors.Error {
  /** what sort of failure this is (the gateway turns it into an HTTP status) */
  readonly kind: ProviderErrorKind;
  /** log-safe detail (never key material, never upstream body text) */
  readonly logSummary: string;
  readonly upstreamStatus: number | undefined;

  constructor(code: ProviderErrorCode, logSummary = '', upstreamStatus?: number) {
    super(code);
    this.kind = PROVIDER_ERRORS[code].kind;
    this.logSummary = logSummary;
    this.upstreamStatus = upstreamStatus;
  }
}

export function isProviderError(value: unknown): value is ProviderError {
  return value instanceof ProviderError;
}

/** Classifies a non-2xx upstream status. Only the number decides; message text never does. */
export function upstreamStatusCode(status: number): ProviderErrorCode {
  if (status === 401 || status === 403) return 'PRV_ERR_UPSTREAM_AUTH';
  if (status === 429) return 'PRV_ERR_UPSTREAM_RATE_LIMITED';
  if (status >= 300 && status < 400) return 'PRV_ERR_REDIRECT_REFUSED';
  if (status >= 400 && status < 500) return 'PRV_ERR_UPSTREAM_CLIENT';
  return 'PRV_ERR_UPSTREAM_SERVER';
}

/** Whether trying another provider can help: server errors, rate limits, timeouts, network. */
export function isRetryableElsewhere(code: ProviderErrorCode): boolean {
  return (
    code === 'PRV_ERR_UPSTREAM_SERVER' ||
    code === 'PRV_ERR_UPSTREAM_RATE_LIMITED' ||
    code === 'PRV_ERR_UPSTREAM_TIMEOUT' ||
    code === 'PRV_ERR_UPSTREAM_NETWORK' ||
    code === 'PRV_ERR_UPSTREAM_AUTH' ||
    code === 'PRV_ERR_KEY_MISSING' ||
    code === 'PRV_ERR_KEY_EXPIRED'
  );
}

/**
 * What a provider call can fail with: the provider's own error, or an egress refusal passed
 * through unchanged (a refusal has exactly one code, EGR_ERR_DENIED, owned by the egress layer;
 * the gateway renders it as GW_ERR_EGRESS_DENIED).
 */
export type ProviderFailure = ProviderError | (EgressError & { readonly code: 'EGR_ERR_DENIED' });
export type ProviderFailureCode = ProviderErrorCode | 'EGR_ERR_DENIED';

export function isProviderFailure(value: unknown): value is ProviderFailure {
  return value instanceof ProviderError || (isEgressError(value) && value.code === 'EGR_ERR_DENIED');
}

/** The fixed, client-safe message of a failure code. */
export function failureMessage(code: ProviderFailureCode): string {
  return code === 'EGR_ERR_DENIED' ? egressErrors.message(code) : providerErrors.message(code);
}

/** How an egress transport failure (EGR_ERR_*, other than a refusal) reads to a provider caller. */
const FROM_EGRESS: Record<Exclude<EgressErrorCode, 'EGR_ERR_DENIED'>, ProviderErrorCode> = {
  EGR_ERR_REDIRECT_REFUSED: 'PRV_ERR_REDIRECT_REFUSED',
  EGR_ERR_NETWORK: 'PRV_ERR_UPSTREAM_NETWORK',
  EGR_ERR_DNS: 'PRV_ERR_UPSTREAM_NETWORK',
  EGR_ERR_TIMEOUT: 'PRV_ERR_UPSTREAM_TIMEOUT',
  EGR_ERR_RESPONSE_TOO_LARGE: 'PRV_ERR_RESPONSE_TOO_LARGE',
  EGR_ERR_ABORTED: 'PRV_ERR_ABORTED',
  EGR_ERR_CONFIG: 'PRV_ERR_CONFIG',
};

/** Maps an egress transport failure to the provider vocabulary; a refusal and anything else are returned unchanged. */
export function fromEgress(error: unknown): unknown {
  if (!isEgressError(error) || error.code === 'EGR_ERR_DENIED') return error;
  return new ProviderError(FROM_EGRESS[error.code], error.logSummary, error.upstreamStatus);
}
