/** Public surface of the providers layer for the gateway (routes, alerts, audit shipper). */
export { PROVIDER_ERRORS, ProviderError, isProviderError, isProviderFailure, failureMessage, upstreamStatusCode, type ProviderErrorCode, type ProviderFailure } from './errors.ts';
export { EGRESS_ERRORS, EgressError, isEgressError, type EgressErrorCode } from './egress/errors.ts';
export { createEgress, type Egress, type EgressInit, type EgressOptions, type EgressResponse } from './egress/dispatcher.ts';
export { checkAddress, checkUrl, parseAllowlist } from './egress/policy.ts';
export { providerConfigFromEnv, normalizeBaseUrl, decideProvider, PROVIDER_ENV_KEYS, DEFAULT_BASE_URLS, type ProviderConfig, type ProviderEndpoint } from './config.ts';
export { createProviderRegistry, type ProviderRegistry } from './registry.ts';
export { completeWithFailover, streamWithFailover, planFailover, requireEnabled, type FailoverDeps, type FailoverEvent } from './failover.ts';
export { createKeyStore, type ProviderKeyStore, type ProviderKeyInfo, type ResolvedKey } from './keys.ts';
export { loadMasterKey } from './master-key.ts';
export { PROVIDER_MIGRATIONS } from './schema.ts';
export { openSse, type SseWriter } from './sse.ts';
export { streamPalisadeChat, streamOpenAiCompatible, toOpenAiCompletion, type StreamOutcome } from './chat-sse.ts';
export { usesToolFields, TOOL_LIMITS, type ToolCall } from './tool-fields.ts';
export { parseChatRequest, isProviderName, PROVIDER_NAMES, type ChatRequest, type ChatEvent, type ChatResult, type ProviderName } from './types.ts';
