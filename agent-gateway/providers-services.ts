/**
 * Everything the chat, provider-key, redaction and privacy routes share, opened once from the
 * parsed config and the gateway's sqlite handle (PROVIDER_MIGRATIONS and PRIVACY_MIGRATIONS
 * applied): the provider registry over the one egress dispatcher, the encrypted key store,
 * and the privacy stores. `resolveKey` is the failover hook: it throws a ProviderError when
 * the key store refuses, so a missing or expired key never reaches an adapter.
 */
import type { DatabaseSync } from 'node:sqlite';
import {
  createKeyStore, createProviderRegistry, EGRESS_ERRORS, isEgressError, loadMasterKey, PROVIDER_ERRORS, ProviderError,
  type FailoverDeps, type ProviderKeyStore, type ProviderName, type ProviderRegistry,
} from '../providers/index.ts';
import type { Config } from './config.ts';
import { gwError, PROVIDER_KIND_STATUS, type GatewayError } from './errors.ts';
import type { Logger } from './logger.ts';
import { ChatSessionStore, ConsentStore, RedactionRuleStore } from './privacy/stores.ts';

export type KeyEnv = Readonly<Record<string, string | undefined>>;

export interface ProviderServices {
  readonly registry: ProviderRegistry;
  readonly keys: ProviderKeyStore;
  readonly rules: RedactionRuleStore;
  readonly consent: ConsentStore;
  readonly sessions: ChatSessionStore;
  /** environment-variable fallback for provider keys (OPENAI_API_KEY…); empty unless main.ts passes it */
  readonly keyEnv: KeyEnv;
  /** deps for completeWithFailover / streamWithFailover */
  readonly failover: FailoverDeps;
  close(): Promise<void>;
}

export interface ProviderServicesOptions {
  readonly now?: () => number;
  readonly keyEnv?: KeyEnv;
  /** other outbound origins (alert webhooks) that share the one egress allowlist */
  readonly extraAllowlist?: readonly string[];
}

export function openProviderServices(config: Config, db: DatabaseSync, logger: Logger, options: ProviderServicesOptions = {}): ProviderServices {
  const master = loadMasterKey({ dataDir: config.dataDir, ...(config.providerMasterKeyHex === undefined ? {} : { configHex: config.providerMasterKeyHex }) });
  if (!master.ok) throw new Error(`provider master key: ${master.problem}`);
  if (master.source === 'generated') logger.info('generated the provider master key file in the data dir');
  const now = options.now ?? Date.now;
  const registry = createProviderRegistry(config.providers, options.extraAllowlist ? { extraAllowlist: options.extraAllowlist } : {});
  const keys = createKeyStore(db, master.key, { now });
  const keyEnv: KeyEnv = Object.freeze({ ...options.keyEnv });
  const failover: FailoverDeps = {
    config: config.providers,
    registry,
    resolveKey(name: ProviderName) {
      const r = keys.resolveKey(name, keyEnv);
      if (!r.ok) throw new ProviderError(r.code);
      return r.key;
    },
    onAttempt(attempt) {
      if (!attempt.ok) logger.warn('provider attempt failed', { provider: attempt.provider, code: attempt.code });
    },
  };
  return {
    registry, keys, keyEnv, failover,
    rules: new RedactionRuleStore(db, { now }),
    consent: new ConsentStore(db, { now }),
    sessions: new ChatSessionStore(db, { now }),
    close: () => registry.egress.close(),
  };
}

/**
 * Maps a provider failure to the gateway's problem: key problems → 503 GW_ERR_PROVIDER_KEY,
 * egress refusals (EGR_ERR_DENIED, passed through by the providers layer) → 502
 * GW_ERR_EGRESS_DENIED, everything else → GW_ERR_PROVIDER with the status of the failure's
 * kind (PROVIDER_KIND_STATUS in errors.ts). Only the PRV code and its fixed safe message are shown.
 */
export function providerProblem(error: unknown): GatewayError {
  if (isEgressError(error) && error.code === 'EGR_ERR_DENIED') return gwError('GW_ERR_EGRESS_DENIED', EGRESS_ERRORS.EGR_ERR_DENIED.message, { extras: { egress_code: error.code } });
  if (!(error instanceof ProviderError)) return gwError('GW_ERR_PROVIDER', PROVIDER_ERRORS.PRV_ERR_UPSTREAM_NETWORK.message, { extras: { provider_code: 'PRV_ERR_UPSTREAM_NETWORK' } });
  const extras = { provider_code: error.code };
  const detail = PROVIDER_ERRORS[error.code].message;
  switch (error.code) {
    case 'PRV_ERR_KEY_MISSING':
    case 'PRV_ERR_KEY_EXPIRED':
      return gwError('GW_ERR_PROVIDER_KEY', `${detail}; an admin can set one with PUT /admin/providers/:name/key.`, { extras });
    case 'PRV_ERR_PROVIDER_DISABLED':
      return gwError('GW_ERR_PROVIDER_DISABLED', `${detail}; GET /admin/providers shows why.`, { extras });
    case 'PRV_ERR_BAD_REQUEST':
    case 'PRV_ERR_KEY_INVALID':
      return gwError('GW_ERR_VALIDATION', detail, { extras });
    case 'PRV_ERR_UNKNOWN_PROVIDER':
      return gwError('GW_ERR_NOT_FOUND', detail, { extras });
    default:
      return gwError('GW_ERR_PROVIDER', detail, { extras, status: PROVIDER_KIND_STATUS[error.kind] });
  }
}
