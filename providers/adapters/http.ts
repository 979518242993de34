/** Shared request step for adapters: POST JSON through the egress, classify the status. */
import type { Egress, EgressResponse } from '../egress/dispatcher.ts';
import { fromEgress, ProviderError, upstreamStatusCode } from '../errors.ts';
import { parseFrame } from './stream-parse.ts';

/** egress.request with every egress failure (request or streamed body) read as a ProviderError. */
async function request(egress: Egress, url: string, init: Parameters<Egress['request']>[1]): Promise<EgressResponse> {
  let res: EgressResponse;
  try {
    res = await egress.request(url, init);
  } catch (error) {
    throw fromEgress(error);
  }
  const inner = res.body;
  async function* body(): AsyncGenerator<Uint8Array> {
    try {
      yield* inner;
    } catch (error) {
      throw fromEgress(error);
    }
  }
  const mapped = body();
  return {
    status: res.status,
    header: (name) => res.header(name),
    body: mapped,
    async text() {
      const parts: Uint8Array[] = [];
      for await (const chunk of mapped) parts.push(chunk);
      return Buffer.concat(parts).toString('utf8');
    },
    cancel: () => res.cancel(),
  };
}

export async function postJson(
  egress: Egress,
  url: string,
  headers: Record<string, string>,
  body: unknown,
  signal: AbortSignal | undefined,
): Promise<EgressResponse> {
  const init = {
    method: 'POST' as const,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
    ...(signal ? { signal } : {}),
  };
  const res = await request(egress, url, init);
  if (res.status < 200 || res.status > 299) {
    res.cancel(); // the upstream error body is never read, echoed or logged
    throw new ProviderError(upstreamStatusCode(res.status), `upstream status ${res.status}`, res.status);
  }
  return res;
}

export async function readJsonBody(res: EgressResponse): Promise<Record<string, unknown>> {
  return parseFrame(await res.text());
}

export function joinUrl(baseUrl: string, path: string): string {
  return `${baseUrl.replace(/\/+$/, '')}${path}`;
}

const MODEL_ID = /^[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,127}$/;

/** GET a provider's model list and pick `items[].field` ids (at most 500, each a plain model id). */
export async function getModelIds(
  egress: Egress, url: string, headers: Record<string, string>, signal: AbortSignal | undefined, items: string, field: string,
): Promise<string[]> {
  const res = await request(egress, url, { method: 'GET', headers, timeoutMs: 10_000, ...(signal ? { signal } : {}) });
  if (res.status < 200 || res.status > 299) {
    res.cancel();
    throw new ProviderError(upstreamStatusCode(res.status), `upstream status ${res.status}`, res.status);
  }
  const doc = parseFrame(await res.text());
  const list = doc[items];
  if (!Array.isArray(list)) throw new ProviderError('PRV_ERR_BAD_RESPONSE', 'no model list');
  const ids: string[] = [];
  for (const m of list.slice(0, 500)) {
    const id = m !== null && typeof m === 'object' ? (m as Record<string, unknown>)[field] : undefined;
    if (typeof id === 'string' && MODEL_ID.test(id)) ids.push(id);
  }
  return ids;
}
