/**
 * Which provider a chat goes to, and the check that it can be reached at all before any byte
 * is sent: a disabled provider, or a failover plan in which no provider has a usable key, is a
 * 503 problem rather than a broken stream.
 */
import { isProviderName, planFailover, ProviderError, requireEnabled, type ProviderName } from '../../providers/index.ts';
import { providerProblem, type ProviderServices } from '../providers-services.ts';

/** `openai:gpt-4o`, `ollama:llama3:8b` select a provider; else the X-Palisade-Provider header; else openai. */
export function providerForModel(model: string, header: unknown): { provider: ProviderName; model: string } | undefined {
  const i = model.indexOf(':');
  const prefix = i > 0 ? model.slice(0, i) : '';
  if (isProviderName(prefix)) return { provider: prefix, model: model.slice(i + 1) };
  if (header === undefined) return { provider: 'openai', model };
  return isProviderName(header) ? { provider: header, model } : undefined;
}

/** Throws the 503 problem when `primary` is disabled or no provider in its failover plan has a usable key. */
export function requireSomeKey(svc: ProviderServices, primary: ProviderName): void {
  try {
    requireEnabled(primary, svc.failover.config);
  } catch (error) {
    throw providerProblem(error);
  }
  let first: unknown;
  for (const p of planFailover(primary, svc.failover.config)) {
    try {
      svc.failover.resolveKey(p);
      return;
    } catch (error) {
      first ??= error;
    }
  }
  throw providerProblem(first ?? new ProviderError('PRV_ERR_KEY_MISSING'));
}
