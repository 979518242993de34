/**
 * Measures what the gateway's real chat route adds, in one run, on 127.0.0.1:
 *   - time-to-first-token (request start → first token at the client), direct vs proxied;
 *   - per-chunk latency: for each token, client receive time minus the moment the fake
 *     provider wrote it (same process, same clock), direct vs proxied.
 * Direct = the client streams the fake provider's OpenAI SSE itself. Proxied = the client
 * streams POST /chat/complete?stream=true from a real gateway (openGateway: auth, sqlite
 * session, audit line, egress dispatcher, adapter, SSE writer) whose OpenAI endpoint is the
 * fake provider. Runs alternate direct/proxied. Client, gateway and fake share one process
 * and one event loop, so figures include that contention (an upper bound).
 *
 * Run: node_modules/.bin/node scripts/bench-chat.ts [runs=40] [tokens=50] [chunkDelayMs=5]
 */
import { request, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { call, loginAdmin, startGateway } from '../test/support/gateway.ts';
import { startFakeProvider } from '../test/support/fake-provider.ts';

const runs = Number(process.argv[2] ?? 40);
const tokens = Number(process.argv[3] ?? 50);
const chunkDelayMs = Number(process.argv[4] ?? 5);

const fake = await startFakeProvider();
fake.tokens = Array.from({ length: tokens }, (_, i) => `tok${i}_ `);
fake.chunkDelayMs = chunkDelayMs;

// Record when the fake provider writes each token: wrap ServerResponse.write for responses
// served on the fake provider's port only (measurement tooling, not product code).
const written = new Map<number, number>();
const TOKEN_RE = /tok(\d+)_ /g;
const originalWrite = ServerResponse.prototype.write;
ServerResponse.prototype.write = function (this: ServerResponse, chunk: unknown, ...rest: unknown[]) {
  if (this.socket?.localPort === fake.port && typeof chunk === 'string') {
    const t = performance.now();
    for (const m of chunk.matchAll(TOKEN_RE)) written.set(Number(m[1]), t);
  }
  return (originalWrite as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
} as typeof ServerResponse.prototype.write;

const gw = await startGateway({ env: { PALISADE_PROVIDER_ALLOWLIST: fake.origin, PALISADE_OPENAI_BASE_URL: fake.origin, PALISADE_ANTHROPIC_BASE_URL: fake.origin, PALISADE_OLLAMA_BASE_URL: fake.origin, PALISADE_OPENROUTER_BASE_URL: fake.origin } });
const admin = (await loginAdmin(gw.url)).token;
await call(gw.url, 'PUT', '/admin/providers/openai/key', { token: admin, body: { key: 'sk-bench-key-000000', ttl_days: 1 } });

interface Sample { ttft: number; perChunk: number[]; total: number }

function stream(url: string, headers: Record<string, string>, body: string): Promise<Sample> {
  written.clear();
  const seen = new Map<number, number>();
  const u = new URL(url);
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method: 'POST', agent: false, headers: { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      res.setEncoding('utf8');
      let carry = '';
      res.on('data', (chunk: string) => {
        const t = performance.now();
        const text = carry + chunk;
        for (const m of text.matchAll(TOKEN_RE)) if (!seen.has(Number(m[1]))) seen.set(Number(m[1]), t);
        carry = text.slice(-16);
      });
      res.on('end', () => {
        const total = performance.now() - start;
        if (seen.size !== tokens) return reject(new Error(`saw ${seen.size}/${tokens} tokens (status ${res.statusCode})`));
        const perChunk = [...seen].map(([i, t]) => t - (written.get(i) ?? Number.NaN));
        resolve({ ttft: (seen.get(0) ?? Number.NaN) - start, perChunk, total });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const messages = [{ role: 'user', content: 'bench' }];
const direct = (): Promise<Sample> => stream(`${fake.origin}/v1/chat/completions`, { authorization: 'Bearer sk-bench-key-000000' }, JSON.stringify({ model: 'm', messages, stream: true }));
const proxied = (): Promise<Sample> => stream(`${gw.url}/chat/complete?stream=true`, { authorization: `Bearer ${admin}` }, JSON.stringify({ provider: 'openai', model: 'm', messages }));

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
};
const p95 = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.95)] ?? Number.NaN;

for (let i = 0; i < 3; i++) {
  await direct();
  await proxied();
}
const d: Sample[] = [];
const p: Sample[] = [];
for (let i = 0; i < runs; i++) {
  d.push(await direct());
  p.push(await proxied());
}
const f = (n: number): string => n.toFixed(3);
const dChunks = d.flatMap((s) => s.perChunk);
const pChunks = p.flatMap((s) => s.perChunk);
const result = {
  runs, tokens, chunkDelayMs, node: process.version,
  ttft_ms: { direct_median: f(median(d.map((s) => s.ttft))), proxied_median: f(median(p.map((s) => s.ttft))), overhead_median: f(median(p.map((s) => s.ttft)) - median(d.map((s) => s.ttft))) },
  per_chunk_latency_ms: {
    direct_median: f(median(dChunks)), proxied_median: f(median(pChunks)), added_median: f(median(pChunks) - median(dChunks)),
    direct_p95: f(p95(dChunks)), proxied_p95: f(p95(pChunks)), added_p95: f(p95(pChunks) - p95(dChunks)),
  },
  total_stream_ms: { direct_median: f(median(d.map((s) => s.total))), proxied_median: f(median(p.map((s) => s.total))) },
};
console.log(JSON.stringify(result, null, 2));
ServerResponse.prototype.write = originalWrite;
await gw.stop(true);
await fake.close();
