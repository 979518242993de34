/**
 * A real webhook receiver on 127.0.0.1 for alert tests. It checks the documented signature
 * format itself (`X-Palisade-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`)
 * on the raw bytes it received, and answers with scripted statuses (then 200).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  readonly headers: http.IncomingHttpHeaders;
  readonly raw: string;
  readonly body: unknown;
  /** true/false when a secret is configured, undefined otherwise */
  readonly signatureValid: boolean | undefined;
  readonly signatureTime: number | undefined;
  readonly answered: number;
}

export interface WebhookReceiver {
  readonly url: string;
  readonly received: ReceivedWebhook[];
  /** resolves once `n` requests have arrived */
  waitFor(n: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

function verify(secret: string, header: string | undefined, raw: string): { valid: boolean; t: number | undefined } {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header ?? '');
  if (m === null) return { valid: false, t: undefined };
  const expected = createHmac('sha256', secret).update(`${m[1]}.${raw}`).digest();
  const given = Buffer.from(m[2] as string, 'hex');
  return { valid: given.length === expected.length && timingSafeEqual(given, expected), t: Number(m[1]) };
}

export async function startWebhookReceiver(options: { secret?: string; statuses?: number[] } = {}): Promise<WebhookReceiver> {
  const statuses = [...(options.statuses ?? [])];
  const received: ReceivedWebhook[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = JSON.parse(raw);
      } catch {
        body = undefined;
      }
      const sig = options.secret === undefined ? undefined : verify(options.secret, req.headers['x-palisade-signature'] as string | undefined, raw);
      const answered = statuses.shift() ?? 200;
      received.push({ headers: req.headers, raw, body, signatureValid: sig?.valid, signatureTime: sig?.t, answered });
      res.writeHead(answered, { 'content-type': 'text/plain' }).end('ok');
      for (const w of waiters.filter((x) => received.length >= x.n)) w.resolve();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    waitFor(n, timeoutMs = 30_000) {
      if (received.length >= n) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`only ${received.length} of ${n} webhooks arrived`)), timeoutMs);
        waiters.push({ n, resolve: () => { clearTimeout(timer); resolve(); } });
      });
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
