/**
 * Default webhook transport over undici: no redirects followed, bounded time, response body
 * discarded. Pass the gateway's egress dispatcher (allowlist + DNS pinning) as `dispatcher`.
 */
import { request, type Dispatcher } from 'undici';
import type { Post } from './sender.ts';

export function createUndiciPost(options: { dispatcher?: Dispatcher; timeoutMs?: number } = {}): Post {
  const timeout = options.timeoutMs ?? 10_000;
  return async (url, body, headers) => {
    const res = await request(url, {
      method: 'POST',
      body,
      headers,
      headersTimeout: timeout,
      bodyTimeout: timeout,
      signal: AbortSignal.timeout(timeout),
      ...(options.dispatcher === undefined ? {} : { dispatcher: options.dispatcher }),
    });
    await res.body.dump();
    return { status: res.statusCode };
  };
}
