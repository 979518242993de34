/** Shared request step for adapters: POST JSON through the egress, classify the status. */
import type { Egress, EgressResponse } from '../egress/dispatcher.ts';
import { ProviderError, upstreamStatusCode } from '../errors.ts';
import { parseFrame } from './stream-parse.ts';

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
  const res = await egress.request(url, init);
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
