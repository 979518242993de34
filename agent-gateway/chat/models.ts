/**
 * GET /v1/models: the models of every enabled provider with a usable key, in OpenAI's list
 * shape (non-openai ids carry their `provider:` prefix), cached for 60 s. A provider whose key
 * or list is unavailable contributes nothing and is logged by code only.
 */
import { PROVIDER_NAMES, ProviderError } from '../../providers/index.ts';
import type { CoreContext } from '../context.ts';
import type { ProviderServices } from '../providers-services.ts';

export const MODEL_CACHE_MS = 60_000;

export function modelLister(ctx: Pick<CoreContext, 'logger' | 'now'>, svc: ProviderServices): () => Promise<Record<string, unknown>> {
  let cache: { at: number; body: Record<string, unknown> } | undefined;
  return async () => {
    const t = ctx.now();
    if (cache === undefined || t - cache.at > MODEL_CACHE_MS) {
      const lists = await Promise.all(PROVIDER_NAMES.filter((n) => svc.registry.endpoint(n).enabled).map(async (name) => {
        let key: string | undefined;
        try {
          key = svc.failover.resolveKey(name);
        } catch {
          return [];
        }
        try {
          const ids = await svc.registry.adapter(name).listModels(key === undefined ? {} : { key });
          return ids.map((id) => ({ id: name === 'openai' ? id : `${name}:${id}`, object: 'model', created: 0, owned_by: name }));
        } catch (error) {
          ctx.logger.info('provider model list unavailable', { provider: name, code: error instanceof ProviderError ? error.code : 'unknown' });
          return [];
        }
      }));
      cache = { at: t, body: { object: 'list', data: lists.flat() } };
    }
    return cache.body;
  };
}
