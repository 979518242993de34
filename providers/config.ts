/**
 * Provider configuration, built once from the environment by the gateway's config step.
 * Base URLs come only from here (never from a client) and must pass the egress allowlist.
 */
import type { Wire } from './adapters/adapter.ts';
import { classifyAddress } from './egress/ip.ts';
import { checkUrl, parseAllowlist, parseHttpUrl } from './egress/policy.ts';
import { PROVIDER_NAMES, isProviderName, type ProviderName } from './types.ts';

export type Locality = 'local' | 'cloud';

export interface ProviderEndpoint {
  readonly name: ProviderName;
  readonly wire: Wire;
  readonly baseUrl: string;
  readonly locality: Locality;
  /** environment variable consulted when no key is stored; undefined: no key needed */
  readonly keyEnv?: string;
  /** false: the provider is switched off (its default URL fails the allowlist, or PALISADE_PROVIDERS omits it) */
  readonly enabled: boolean;
  /** why a disabled provider is off (shown by GET /admin/providers and in the start-up warning) */
  readonly disabledReason?: string;
  /** the base URL came from PALISADE_<NAME>_BASE_URL rather than the default */
  readonly explicit: boolean;
}

export interface ProviderConfig {
  readonly allowlist: readonly string[];
  readonly endpoints: Readonly<Record<ProviderName, ProviderEndpoint>>;
  /** providers a failed call may fall over to, in order; empty: no failover */
  readonly failoverOrder: readonly ProviderName[];
  /** whether a call that started on a local provider may fall over to a cloud one */
  readonly failoverLocalToCloud: boolean;
  readonly timeoutMs: number;
  readonly maxResponseBytes: number;
  readonly maxLineChars: number;
  readonly trustedAddresses: readonly string[];
}

export const DEFAULT_BASE_URLS: Readonly<Record<ProviderName, string>> = {
  openai: 'https://api.openai.com',
  anthropic: 'https://api.anthropic.com',
  openrouter: 'https://openrouter.ai/api',
  ollama: 'http://127.0.0.1:11434',
};

const WIRES: Readonly<Record<ProviderName, Wire>> = { openai: 'openai', openrouter: 'openai', anthropic: 'anthropic', ollama: 'ollama' };
export const KEY_ENV: Readonly<Record<ProviderName, string | undefined>> = {
  openai: 'OPENAI_API_KEY',
  anthropic: 'ANTHROPIC_API_KEY',
  openrouter: 'OPENROUTER_API_KEY',
  ollama: undefined,
};

/** The PALISADE_* names this module reads (for the gateway's unknown-key report). */
export const PROVIDER_ENV_KEYS = [
  'PALISADE_PROVIDER_ALLOWLIST',
  'PALISADE_PROVIDERS',
  'PALISADE_OPENAI_BASE_URL',
  'PALISADE_ANTHROPIC_BASE_URL',
  'PALISADE_OPENROUTER_BASE_URL',
  'PALISADE_OLLAMA_BASE_URL',
  'PALISADE_PROVIDER_FAILOVER',
  'PALISADE_PROVIDER_FAILOVER_LOCAL_TO_CLOUD',
  'PALISADE_PROVIDER_TIMEOUT_MS',
  'PALISADE_PROVIDER_MAX_RESPONSE_BYTES',
  'PALISADE_EGRESS_TRUSTED_ADDRESSES',
  // read by the gateway and passed to loadMasterKey({configHex}); kept out of ProviderConfig
  'PALISADE_PROVIDER_MASTER_KEY',
] as const;

function origin(url: string): string {
  const parsed = parseHttpUrl(url);
  return parsed.ok ? parsed.origin.origin : url;
}

function localityOf(baseUrl: string): Locality {
  const parsed = parseHttpUrl(baseUrl);
  if (!parsed.ok) return 'cloud';
  const host = parsed.origin.host;
  const cls = classifyAddress(host);
  return host === 'localhost' || (cls !== 'invalid' && cls !== 'public') ? 'local' : 'cloud';
}

function intIn(raw: string | undefined, fallback: number, min: number, max: number, name: string, problems: string[]): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    problems.push(`${name} must be an integer in ${min}..${max}`);
    return fallback;
  }
  return n;
}

const list = (raw: string | undefined): string[] => (raw ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');

/**
 * A base URL as the operator wrote it, with trailing slashes and one trailing `/v1` removed:
 * OpenAI-compatible servers (vLLM, LM Studio, llama.cpp, Ollama's /v1) document their URL
 * with `/v1`, and the adapters append `/v1/...` (or `/api/chat`) themselves.
 */
export function normalizeBaseUrl(raw: string): string {
  return raw.replace(/\/+$/, '').replace(/\/v1$/i, '').replace(/\/+$/, '');
}

export type ProviderDecision = { ok: true; enabled: true } | { ok: true; enabled: false; reason: string } | { ok: false; problem: string };

/**
 * Whether one provider is on. Pure: an explicitly configured base URL (or a provider named in
 * PALISADE_PROVIDERS) that fails the allowlist stops the start; a default URL that fails it
 * only disables that provider, as does leaving it out of PALISADE_PROVIDERS.
 */
export function decideProvider(input: {
  name: ProviderName;
  origin: string;
  explicit: boolean;
  allowed: boolean;
  /** undefined: PALISADE_PROVIDERS not set */
  listed: boolean | undefined;
}): ProviderDecision {
  const env = `PALISADE_${input.name.toUpperCase()}_BASE_URL`;
  if (input.listed === false) return { ok: true, enabled: false, reason: 'not listed in PALISADE_PROVIDERS' };
  if (input.allowed) return { ok: true, enabled: true };
  if (input.explicit) return { ok: false, problem: `${env} origin ${input.origin} is not in PALISADE_PROVIDER_ALLOWLIST` };
  if (input.listed === true) {
    return { ok: false, problem: `PALISADE_PROVIDERS lists ${input.name}, but its default origin ${input.origin} is not in PALISADE_PROVIDER_ALLOWLIST (set ${env} or extend the allowlist)` };
  }
  return { ok: true, enabled: false, reason: `default origin ${input.origin} is not in PALISADE_PROVIDER_ALLOWLIST (set ${env} to an allowed URL, or list the origin)` };
}

export function providerConfigFromEnv(
  env: Readonly<Record<string, string | undefined>>,
): { ok: true; config: ProviderConfig; warnings: string[] } | { ok: false; problems: string[] } {
  const problems: string[] = [];
  const warnings: string[] = [];
  const baseUrls = {} as Record<ProviderName, string>;
  const explicit = {} as Record<ProviderName, boolean>;
  for (const name of PROVIDER_NAMES) {
    const raw = env[`PALISADE_${name.toUpperCase()}_BASE_URL`]?.trim();
    explicit[name] = raw !== undefined && raw !== '';
    baseUrls[name] = normalizeBaseUrl(explicit[name] ? (raw as string) : DEFAULT_BASE_URLS[name]);
  }
  const allowEntries = env['PALISADE_PROVIDER_ALLOWLIST'] !== undefined && env['PALISADE_PROVIDER_ALLOWLIST'] !== ''
    ? list(env['PALISADE_PROVIDER_ALLOWLIST'])
    : PROVIDER_NAMES.map((n) => origin(DEFAULT_BASE_URLS[n]));
  const allow = parseAllowlist(allowEntries);
  if (!allow.ok) problems.push(...allow.problems.map((p) => `PALISADE_PROVIDER_ALLOWLIST: ${p}`));
  let listed: Set<string> | undefined;
  if (env['PALISADE_PROVIDERS'] !== undefined && env['PALISADE_PROVIDERS'].trim() !== '') {
    listed = new Set(list(env['PALISADE_PROVIDERS']).map((n) => n.toLowerCase()));
    for (const n of listed) if (!isProviderName(n)) problems.push(`PALISADE_PROVIDERS: unknown provider ${JSON.stringify(n.slice(0, 40))} (known: ${PROVIDER_NAMES.join(', ')})`);
  }
  const endpoints = {} as Record<ProviderName, ProviderEndpoint>;
  for (const name of PROVIDER_NAMES) {
    const baseUrl = baseUrls[name];
    const parsed = parseHttpUrl(baseUrl);
    let enabled = false;
    let disabledReason: string | undefined;
    if (!parsed.ok || parsed.url.search !== '' || parsed.url.hash !== '') {
      problems.push(`PALISADE_${name.toUpperCase()}_BASE_URL is not a plain http(s) URL`);
    } else if (allow.ok) {
      const d = decideProvider({
        name, origin: parsed.origin.origin, explicit: explicit[name],
        allowed: checkUrl(baseUrl, allow.allowlist).ok, listed: listed === undefined ? undefined : listed.has(name),
      });
      if (!d.ok) problems.push(d.problem);
      else if (d.enabled) enabled = true;
      else {
        disabledReason = d.reason;
        warnings.push(`provider ${name} disabled: ${d.reason}`);
      }
    }
    const keyEnv = KEY_ENV[name];
    endpoints[name] = {
      name, wire: WIRES[name], baseUrl, locality: localityOf(baseUrl), enabled, explicit: explicit[name],
      ...(disabledReason === undefined ? {} : { disabledReason }), ...(keyEnv ? { keyEnv } : {}),
    };
  }
  const failoverOrder: ProviderName[] = [];
  for (const n of list(env['PALISADE_PROVIDER_FAILOVER'])) {
    if (isProviderName(n)) {
      if (endpoints[n].enabled) failoverOrder.push(n);
      else warnings.push(`PALISADE_PROVIDER_FAILOVER: ${n} is disabled and is skipped`);
    }
    else problems.push(`PALISADE_PROVIDER_FAILOVER: unknown provider ${JSON.stringify(n.slice(0, 40))}`);
  }
  const l2c = env['PALISADE_PROVIDER_FAILOVER_LOCAL_TO_CLOUD'];
  if (l2c !== undefined && l2c !== '' && l2c !== 'true' && l2c !== 'false') problems.push('PALISADE_PROVIDER_FAILOVER_LOCAL_TO_CLOUD must be true or false');
  const trustedAddresses = list(env['PALISADE_EGRESS_TRUSTED_ADDRESSES']);
  for (const ip of trustedAddresses) if (classifyAddress(ip) === 'invalid') problems.push(`PALISADE_EGRESS_TRUSTED_ADDRESSES: ${JSON.stringify(ip.slice(0, 60))} is not an IP`);
  const timeoutMs = intIn(env['PALISADE_PROVIDER_TIMEOUT_MS'], 120_000, 1_000, 600_000, 'PALISADE_PROVIDER_TIMEOUT_MS', problems);
  const maxResponseBytes = intIn(env['PALISADE_PROVIDER_MAX_RESPONSE_BYTES'], 8 * 1024 * 1024, 1024, 256 * 1024 * 1024, 'PALISADE_PROVIDER_MAX_RESPONSE_BYTES', problems);
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    warnings,
    config: Object.freeze({
      allowlist: Object.freeze(allowEntries),
      endpoints: Object.freeze(endpoints),
      failoverOrder: Object.freeze(failoverOrder),
      failoverLocalToCloud: l2c === 'true',
      timeoutMs,
      maxResponseBytes,
      maxLineChars: 256 * 1024,
      trustedAddresses: Object.freeze(trustedAddresses),
    }),
  };
}
