/** Builds the adapters for the configured endpoints over the one egress client. */
import type { ProviderAdapter } from './adapters/adapter.ts';
import { anthropicAdapter } from './adapters/anthropic.ts';
import { ollamaAdapter } from './adapters/ollama.ts';
import { openaiAdapter } from './adapters/openai.ts';
import type { ProviderConfig, ProviderEndpoint } from './config.ts';
import { createEgress, type Egress, type EgressOptions } from './egress/dispatcher.ts';
import { PROVIDER_NAMES, type ProviderName } from './types.ts';

export interface ProviderRegistry {
  readonly egress: Egress;
  adapter(name: ProviderName): ProviderAdapter;
  endpoint(name: ProviderName): ProviderEndpoint;
}

export function adapterFor(endpoint: ProviderEndpoint, egress: Egress, maxLineChars: number): ProviderAdapter {
  const limits = { maxLineChars };
  switch (endpoint.wire) {
    case 'openai':
      return openaiAdapter(egress, endpoint.baseUrl, limits);
    case 'anthropic':
      return anthropicAdapter(egress, endpoint.baseUrl, limits);
    case 'ollama':
      return ollamaAdapter(egress, endpoint.baseUrl, limits);
    default: {
      const never: never = endpoint.wire;
      throw new Error(`unknown wire ${String(never)}`);
    }
  }
}

/** `egressExtras` lets the integrator add other outbound origins (webhooks, SIEM) to the one allowlist. */
export function createProviderRegistry(
  config: ProviderConfig,
  options: { egress?: Egress; extraAllowlist?: readonly string[]; lookup?: EgressOptions['lookup'] } = {},
): ProviderRegistry {
  const egress =
    options.egress ??
    createEgress({
      allowlist: [...config.allowlist, ...(options.extraAllowlist ?? [])],
      timeoutMs: config.timeoutMs,
      maxResponseBytes: config.maxResponseBytes,
      trustedAddresses: config.trustedAddresses,
      ...(options.lookup ? { lookup: options.lookup } : {}),
    });
  const adapters = new Map<ProviderName, ProviderAdapter>();
  for (const name of PROVIDER_NAMES) adapters.set(name, adapterFor(config.endpoints[name], egress, config.maxLineChars));
  return {
    egress,
    adapter: (name) => {
      const a = adapters.get(name);
      if (!a) throw new Error(`no adapter for ${name}`);
      return a;
    },
    endpoint: (name) => config.endpoints[name],
  };
}
