/**
 * Failover among configured providers. The plan is pure: the requested provider first, then
 * the configured failover order; a call that starts on a local provider never moves to a cloud
 * one unless `failoverLocalToCloud`. A stream falls over only before its first delta (after
 * that a switch would duplicate or splice content); failures after it are thrown as they are.
 */
import type { ProviderConfig } from './config.ts';
import { isProviderFailure, isRetryableElsewhere, ProviderError, type ProviderFailure } from './errors.ts';
import type { ProviderRegistry } from './registry.ts';
import { usesToolFields } from './tool-fields.ts';
import type { ChatEvent, ChatRequest, ChatResult, ProviderName } from './types.ts';

/** The plan for one request: a request with function-calling fields only goes to OpenAI-wire providers. */
function planFor(primary: ProviderName, request: ChatRequest, config: ProviderConfig): ProviderName[] {
  const plan = planFailover(primary, config);
  return usesToolFields(request, request.messages) ? plan.filter((n) => n === primary || config.endpoints[n].wire === 'openai') : plan;
}

export function planFailover(primary: ProviderName, config: ProviderConfig): ProviderName[] {
  const startLocal = config.endpoints[primary].locality === 'local';
  const rest = config.failoverOrder.filter(
    (n) => n !== primary && config.endpoints[n].enabled && (!startLocal || config.failoverLocalToCloud || config.endpoints[n].locality === 'local'),
  );
  return [primary, ...new Set(rest)];
}

export interface FailoverDeps {
  readonly config: ProviderConfig;
  readonly registry: ProviderRegistry;
  /** returns the key (undefined when none is needed) or throws PRV_ERR_KEY_MISSING / _EXPIRED */
  resolveKey(name: ProviderName): string | undefined;
  /** optional observer for log-safe attempt records */
  onAttempt?(attempt: { provider: ProviderName; ok: boolean; code?: string }): void;
}

export type FailoverEvent = ChatEvent | { readonly type: 'provider'; readonly provider: ProviderName };

/** A call naming a disabled provider is refused before any key lookup or egress. */
export function requireEnabled(primary: ProviderName, config: ProviderConfig): void {
  if (!config.endpoints[primary].enabled) throw new ProviderError('PRV_ERR_PROVIDER_DISABLED', `provider ${primary} disabled`);
}

function asProviderError(error: unknown): ProviderFailure {
  return isProviderFailure(error) ? error : new ProviderError('PRV_ERR_UPSTREAM_NETWORK', 'unexpected adapter failure');
}

/** An egress refusal is never retried elsewhere (it is a policy decision, not an outage). */
const retryable = (f: ProviderFailure): boolean => f instanceof ProviderError && isRetryableElsewhere(f.code);

export async function completeWithFailover(
  primary: ProviderName,
  request: ChatRequest,
  deps: FailoverDeps,
  signal?: AbortSignal,
): Promise<{ provider: ProviderName; result: ChatResult }> {
  requireEnabled(primary, deps.config);
  let last: ProviderFailure | undefined;
  for (const provider of planFor(primary, request, deps.config)) {
    try {
      const key = deps.resolveKey(provider);
      const result = await deps.registry.adapter(provider).complete(request, { ...(key ? { key } : {}), ...(signal ? { signal } : {}) });
      deps.onAttempt?.({ provider, ok: true });
      return { provider, result };
    } catch (error) {
      last = asProviderError(error);
      deps.onAttempt?.({ provider, ok: false, code: last.code });
      if (signal?.aborted || !retryable(last)) throw last;
    }
  }
  throw last ?? new ProviderError('PRV_ERR_FAILOVER_EXHAUSTED');
}

export async function* streamWithFailover(
  primary: ProviderName,
  request: ChatRequest,
  deps: FailoverDeps,
  signal?: AbortSignal,
): AsyncGenerator<FailoverEvent> {
  requireEnabled(primary, deps.config);
  let last: ProviderFailure | undefined;
  for (const provider of planFor(primary, request, deps.config)) {
    let events: AsyncGenerator<ChatEvent>;
    let first: IteratorResult<ChatEvent>;
    try {
      const key = deps.resolveKey(provider);
      events = deps.registry.adapter(provider).stream(request, { ...(key ? { key } : {}), ...(signal ? { signal } : {}) });
      first = await events.next();
    } catch (error) {
      last = asProviderError(error);
      deps.onAttempt?.({ provider, ok: false, code: last.code });
      if (signal?.aborted || !retryable(last)) throw last;
      continue;
    }
    deps.onAttempt?.({ provider, ok: true });
    yield { type: 'provider', provider };
    if (first.done) throw new ProviderError('PRV_ERR_BAD_RESPONSE', 'empty stream');
    yield first.value;
    try {
      yield* events;
    } catch (error) {
      throw asProviderError(error);
    }
    return;
  }
  throw last ?? new ProviderError('PRV_ERR_FAILOVER_EXHAUSTED');
}
