/**
 * Measures the provider layer's added latency: time to first token and total stream time for
 * a client reading the fake provider's OpenAI SSE stream directly vs through a local server
 * that does what the gateway's chat route does (egress dispatcher → openai adapter → SSE
 * writer). Everything stays on 127.0.0.1. Run: node_modules/.bin/node scripts/bench-provider-latency.ts [runs] [tokens] [chunkDelayMs]
 */
import { createServer, request, type RequestOptions } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { openaiAdapter } from '../providers/adapters/openai.ts';
import { streamPalisadeChat } from '../providers/chat-sse.ts';
import { createEgress } from '../providers/egress/dispatcher.ts';
import { openSse } from '../providers/sse.ts';
import { startFakeProvider } from '../test/support/fake-provider.ts';

const runs = Number(process.argv[2] ?? 50);
const tokens = Number(process.argv[3] ?? 100);
const chunkDelayMs = Number(process.argv[4] ?? 0);

const fake = await startFakeProvider();
fake.tokens = Array.from({ length: tokens }, (_, i) => `tok${i} `);
fake.chunkDelayMs = chunkDelayMs;
const egress = createEgress({ allowlist: [fake.origin], timeoutMs: 60_000, maxResponseBytes: 8 << 20 });
const adapter = openaiAdapter(egress, fake.origin, { maxLineChars: 1 << 16 });
const proxy = createServer((req, res) => {
  const writer = openSse(req, res);
  void streamPalisadeChat(adapter.stream({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }, { key: 'k', signal: writer.signal }), writer);
});
await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
const proxyPort = (proxy.address() as AddressInfo).port;

function timed(options: RequestOptions, body: string): Promise<{ ttft: number; total: number }> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    let ttft = -1;
    const req = request({ ...options, agent: false }, (res) => {
      res.on('data', () => {
        if (ttft < 0) ttft = performance.now() - start;
      });
      res.on('end', () => resolve({ ttft, total: performance.now() - start }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const directBody = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }], stream: true });
const direct = () => timed({ host: '127.0.0.1', port: fake.port, path: '/v1/chat/completions', method: 'POST' }, directBody);
const proxied = () => timed({ host: '127.0.0.1', port: proxyPort, path: '/chat', method: 'POST' }, '');

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const results = { direct: { ttft: [] as number[], total: [] as number[] }, proxied: { ttft: [] as number[], total: [] as number[] } };
for (let i = 0; i < 5; i++) { await direct(); await proxied(); } // warm-up
for (let i = 0; i < runs; i++) {
  const d = await direct();
  const p = await proxied();
  results.direct.ttft.push(d.ttft); results.direct.total.push(d.total);
  results.proxied.ttft.push(p.ttft); results.proxied.total.push(p.total);
}
const out = {
  runs,
  tokens,
  chunkDelayMs,
  median_ttft_ms: { direct: +median(results.direct.ttft).toFixed(2), proxied: +median(results.proxied.ttft).toFixed(2) },
  median_total_ms: { direct: +median(results.direct.total).toFixed(2), proxied: +median(results.proxied.total).toFixed(2) },
};
console.log(JSON.stringify({
  ...out,
  ttft_overhead_ms: +(out.median_ttft_ms.proxied - out.median_ttft_ms.direct).toFixed(2),
  per_chunk_overhead_ms: +((out.median_total_ms.proxied - out.median_total_ms.direct) / tokens).toFixed(3),
}));
proxy.close();
await egress.close();
await fake.close();
