/**
 * A real NDJSON receiver on 127.0.0.1 for shipper tests, and a small `post` over node:http
 * (standing in for the egress dispatcher).
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  readonly seqs: number[];
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

export interface Receiver {
  readonly port: number;
  readonly batches: Received[];
  /** answer the next n batches with 500 after reading them (they count as not delivered) */
  failNext(n: number): void;
  close(): Promise<void>;
}

export async function startReceiver(port = 0): Promise<Receiver> {
  const batches: Received[] = [];
  let failing = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      if (failing > 0) {
        failing -= 1;
        res.writeHead(500).end();
        return;
      }
      const seqs = body.split('\n').filter((l) => l !== '').map((l) => (JSON.parse(l) as { seq: number }).seq);
      batches.push({ seqs, headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    batches,
    failNext(n) { failing = n; },
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

export function httpPost(url: string, body: string, headers: Record<string, string>): Promise<{ status: number }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, agent: false, timeout: 10_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body);
  });
}
