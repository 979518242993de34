/**
 * Webhook delivery. Body: `{"event":"gateway.alert","alert":{…},"ts":"<ISO>"}`. With a secret,
 * `X-Palisade-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`, signed
 * afresh per attempt. The URL is re-checked (syntax + injected egress check) before every
 * attempt. Network errors, 408, 429 and 5xx are retried with exponential backoff up to
 * `maxAttempts`; other statuses are final. The transport `post` is injected.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { isEgressError } from '../../providers/egress/errors.ts';
import { checkWebhookUrl, type CheckUrl, type Webhook } from './config.ts';
import type { Alert } from './types.ts';

export type Post = (url: string, body: string, headers: Record<string, string>) => Promise<{ status: number }>;

export interface SenderOptions {
  readonly post: Post;
  readonly checkUrl: CheckUrl;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly maxAttempts?: number;
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
}

export type Delivery =
  | { readonly url: string; readonly ok: true; readonly attempts: number; readonly status: number }
  | { readonly url: string; readonly ok: false; readonly attempts: number; readonly reason: 'egress_refused' | 'http_status' | 'network'; readonly status?: number };

export interface WebhookSender {
  send(alert: Alert, webhooks: readonly Webhook[]): Promise<Delivery[]>;
}

export function signature(secret: string, t: number, body: string): string {
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`, 'utf8').digest('hex')}`;
}

export function backoffMs(attempt: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** (attempt - 1));
}

const retryable = (status: number) => status === 408 || status === 429 || status >= 500;

/** EGR_ERR_DENIED thrown by the egress connector, directly or as the cause undici wraps it in. */
function isEgressRefusal(error: unknown): boolean {
  const cause = (error as { cause?: unknown } | null)?.cause;
  return [error, cause].some((e) => isEgressError(e) && e.code === 'EGR_ERR_DENIED');
}

export function createWebhookSender(o: SenderOptions): WebhookSender {
  const now = o.now ?? Date.now;
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const maxAttempts = Math.max(1, Math.min(10, o.maxAttempts ?? 5));
  const base = o.baseDelayMs ?? 500;
  const max = o.maxDelayMs ?? 30_000;

  async function deliver(w: Webhook, body: string, delivery: string): Promise<Delivery> {
    let last: Delivery = { url: w.url, ok: false, attempts: 0, reason: 'network' };
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      if (attempt > 1) await sleep(backoffMs(attempt - 1, base, max));
      const check = await checkWebhookUrl(w.url, o.checkUrl);
      if (!check.ok) return { url: w.url, ok: false, attempts: attempt - 1, reason: 'egress_refused' };
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        'user-agent': 'palisade-alerts/1',
        'x-palisade-event': 'gateway.alert',
        'x-palisade-delivery': delivery,
      };
      if (w.secret !== undefined) headers['x-palisade-signature'] = signature(w.secret, Math.floor(now() / 1000), body);
      try {
        const { status } = await o.post(w.url, body, headers);
        if (status >= 200 && status < 300) return { url: w.url, ok: true, attempts: attempt, status };
        last = { url: w.url, ok: false, attempts: attempt, reason: 'http_status', status };
        if (!retryable(status)) return last;
      } catch (error) {
        // a refusal by the egress at connect (a resolved address it will not dial) is final
        if (isEgressRefusal(error)) return { url: w.url, ok: false, attempts: attempt, reason: 'egress_refused' };
        last = { url: w.url, ok: false, attempts: attempt, reason: 'network' };
      }
    }
    return last;
  }

  return {
    async send(alert, webhooks) {
      const body = JSON.stringify({
        event: 'gateway.alert',
        alert: { ...alert.details, type: alert.type, severity: alert.severity, message: alert.message },
        ts: new Date(now()).toISOString(),
      });
      const delivery = randomUUID();
      return Promise.all(webhooks.map((w) => deliver(w, body, delivery)));
    },
  };
}
