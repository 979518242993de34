/**
 * The chat proxy against a peer (issue 23), in one run: the same chat request directly to a
 * fake OpenAI provider, through Portkey's AI gateway (the pinned devDependency
 * @portkey-ai/gateway, a Node gateway people compare Palisade with) and through Palisade's
 * POST /v1/chat/completions (bearer auth, redaction/consent path, chat session, durable audit
 * line, egress checks all on), each server in its own process on 127.0.0.1:
 *   - non-streaming: req/s with 10 connections (autocannon), p50 with 1 connection;
 *   - streaming: time to first token and per-chunk overhead (total stream time difference
 *     divided by the chunks), medians over alternating runs;
 *   - the floor (floor-proxy-child.ts): the least a Node proxy does for the same chat, without
 *     and with a group-committed fdatasync'd line before each non-streaming answer, so the
 *     figures show how much of the added latency any Node gateway with a durable record pays
 *     on this machine and how much is Palisade's own work.
 * Used by `npm run bench` (group chat-peers) and by scripts/bench-chat-peers.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { AGENT_RATE_LIMIT_MAX } from '../../agent-gateway/config.ts';
import { runLoad, type LoadResult } from './load.ts';
import { startServer, type Server } from './procs.ts';
import { BENCH_ADMIN_PASSWORD } from './setup.ts';

/**
 * The streaming fake waits this long before each token, as a model does. Without a gap the fake
 * built all its frames in one turn and Node sent them in one write: the first token reached the
 * client or the proxy together with the last, about 0.4 ms after the request, while the proxy
 * was still busy with that request. With a gap the first token comes after the proxy has gone
 * idle, as it does in front of a real model (issue 23).
 */
const STREAM_CHUNK_DELAY_MS = 1;
const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));
const KEY = 'sk-bench-upstream-000000000001';
const baseEnv = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: process.env['HOME'] ?? '/tmp' };

/** Portkey's Node server on a loopback port; ready when GET / answers. */
async function startPortkey(port: number): Promise<{ child: ChildProcess; stop(): Promise<void> }> {
  const entry = here('../../node_modules/@portkey-ai/gateway/build/start-server.js');
  const child = spawn(process.execPath, [entry, '--headless', `--port=${port}`], { env: baseEnv, stdio: ['ignore', 'ignore', 'ignore'] });
  const stop = (): Promise<void> => new Promise((r) => {
    if (child.exitCode !== null) return r();
    child.once('exit', () => r());
    child.kill('SIGTERM');
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    const ok = await fetch(`http://127.0.0.1:${port}/`).then((r) => r.ok, () => false);
    if (ok) return { child, stop };
    if (Date.now() > deadline || child.exitCode !== null) {
      await stop();
      throw new Error('portkey did not start');
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

interface Target { readonly name: string; readonly url: string; readonly headers: Record<string, string>; readonly model: string }

function streamOnce(t: Target, expectTokens: number): Promise<{ ttft: number; total: number }> {
  const body = JSON.stringify({ model: t.model, messages: [{ role: 'user', content: 'bench' }], stream: true });
  const u = new URL(t.url);
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', agent: false, headers: { ...t.headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      res.setEncoding('utf8');
      let first = Number.NaN;
      let text = '';
      res.on('data', (chunk: string) => {
        if (Number.isNaN(first) && /"content":"t0 /.test(text + chunk)) first = performance.now();
        text += chunk;
      });
      res.on('end', () => {
        const seen = (text.match(/t\d+ /g) ?? []).length;
        if (res.statusCode !== 200 || seen < expectTokens || !text.includes('[DONE]')) return reject(new Error(`${t.name}: status ${res.statusCode}, ${seen}/${expectTokens} tokens`));
        resolve({ ttft: first - start, total: performance.now() - start });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
};

export interface ChatPeersOptions {
  readonly seconds: number;
  readonly runs: number;
  readonly tokens: number;
  /**
   * rounds of the non-streaming loads (default 3): each round runs every path once, in a rotated
   * order, and the ratios are the median of the same-round ratios, so a drift of the machine's
   * speed between one path's load and the next (10-35% seen here) does not decide the ratio
   */
  readonly rounds?: number;
  /** writes a --cpu-prof of the Palisade gateway to this directory */
  readonly profile?: string;
}

export type ChatPeersResult = ReturnType<typeof summarize>;

export async function runChatPeers(options: ChatPeersOptions): Promise<ChatPeersResult> {
  const { seconds, runs } = options;
  const streamTokens = options.tokens;
  const dataDir = mkdtempSync(join(tmpdir(), 'palisade-bench-chat-'));
  const servers: Array<{ stop(): Promise<void> }> = [];
  try {
    // non-streaming fake (4 short tokens) and a streaming one (many tokens), separate processes
    const fake: Server = await startServer('fake', here('./fake-child.ts'), { ...baseEnv, FAKE_TOKENS: '4' });
    servers.push(fake);
    const fakeStream: Server = await startServer('fake-stream', here('./fake-child.ts'), { ...baseEnv, FAKE_TOKENS: String(streamTokens), FAKE_CHUNK_DELAY_MS: String(STREAM_CHUNK_DELAY_MS) });
    servers.push(fakeStream);
    const origin = `http://127.0.0.1:${fake.port}`;
    const streamOrigin = `http://127.0.0.1:${fakeStream.port}`;
    const pkPort = await freePort();
    servers.push(await startPortkey(pkPort));
    const palisadeEnv = {
      ...baseEnv, PALISADE_DATA_DIR: dataDir, PALISADE_ADMIN_PASSWORD: BENCH_ADMIN_PASSWORD, PALISADE_LOG_LEVEL: 'error',
      PALISADE_SANDBOX_BACKEND: 'isolate', PALISADE_PROVIDER_ALLOWLIST: `${origin},${streamOrigin}`,
      PALISADE_OPENAI_BASE_URL: origin, PALISADE_OPENROUTER_BASE_URL: streamOrigin, PALISADE_PROVIDERS: 'openai,openrouter',
      PALISADE_AGENT_RATE_LIMIT: `${AGENT_RATE_LIMIT_MAX.burst}/${AGENT_RATE_LIMIT_MAX.perSecond}`,
      ...(options.profile ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${options.profile}` } : {}),
    };
    const pal: Server = await startServer('palisade', here('./gateway-child.ts'), palisadeEnv);
    servers.push(pal);
    const floorEnv = { ...baseEnv, FLOOR_UPSTREAM: origin, FLOOR_STREAM_UPSTREAM: streamOrigin };
    const floor: Server = await startServer('floor', here('./floor-proxy-child.ts'), floorEnv);
    servers.push(floor);
    // the fdatasync'd file sits in the same data dir (so the same filesystem) as Palisade's audit log
    const floorSync: Server = await startServer('floor-fsync', here('./floor-proxy-child.ts'), { ...floorEnv, FLOOR_AUDIT_FILE: join(dataDir, 'floor-fsync.log') });
    servers.push(floorSync);
    const palUrl = `http://127.0.0.1:${pal.port}`;
    const login = await fetch(`${palUrl}/admin/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: BENCH_ADMIN_PASSWORD }) });
    const token = String(((await login.json()) as { token: string }).token);
    for (const p of ['openai', 'openrouter']) {
      const put = await fetch(`${palUrl}/admin/providers/${p}/key`, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ key: KEY, ttl_days: 1 }) });
      if (put.status !== 200) throw new Error(`key put ${put.status}`);
    }
    const pk = (host: string): Record<string, string> => ({ authorization: `Bearer ${KEY}`, 'x-portkey-provider': 'openai', 'x-portkey-custom-host': `${host}/v1` });
    const targets = (streaming: boolean): Target[] => {
      const o = streaming ? streamOrigin : origin;
      return [
        { name: 'direct', url: `${o}/v1/chat/completions`, headers: { authorization: `Bearer ${KEY}` }, model: 'm' },
        { name: 'portkey', url: `http://127.0.0.1:${pkPort}/v1/chat/completions`, headers: pk(o), model: 'm' },
        { name: 'palisade', url: `${palUrl}/v1/chat/completions`, headers: { authorization: `Bearer ${token}` }, model: streaming ? 'openrouter:m' : 'm' },
        { name: 'floor', url: `http://127.0.0.1:${floor.port}/v1/chat/completions`, headers: { authorization: `Bearer ${KEY}` }, model: 'm' },
        // no durable floor for streams: Palisade writes a stream's audit line after the stream
        // ends, so no fdatasync sits before its first token
        ...(streaming ? [] : [{ name: 'floor-fsync', url: `http://127.0.0.1:${floorSync.port}/v1/chat/completions`, headers: { authorization: `Bearer ${KEY}` }, model: 'm' }]),
      ];
    };
    const body = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'bench' }] });
    // sanity: each target answers the non-streaming request with the fake's content
    for (const t of targets(false)) {
      const res = await fetch(t.url, { method: 'POST', headers: { ...t.headers, 'content-type': 'application/json' }, body: JSON.stringify({ model: t.model, messages: [{ role: 'user', content: 'bench' }] }) });
      const text = await res.text();
      if (res.status !== 200 || !text.includes('t0 t1 t2 t3')) throw new Error(`${t.name} sanity: ${res.status} ${text.slice(0, 200)}`);
    }
    const rounds = Math.max(1, Math.floor(options.rounds ?? 3));
    const load: Record<string, Array<{ c10: LoadResult; c1: LoadResult }>> = {};
    const plain = targets(false);
    const specOf = (t: Target) => ({ url: t.url, method: 'POST' as const, headers: t.headers, body, expectStatus: 200 });
    for (const t of plain) {
      await runLoad({ ...specOf(t), connections: 10, durationSeconds: 2 }); // warm-up
      load[t.name] = [];
    }
    for (let r = 0; r < rounds; r++) {
      const order = plain.map((_, i) => plain[(i + r) % plain.length]!); // rotated: no path always goes first
      const c10 = new Map<string, LoadResult>();
      for (const t of order) c10.set(t.name, await runLoad({ ...specOf(t), connections: 10, durationSeconds: Math.max(2, seconds / rounds) }));
      for (const t of order) {
        const c1 = await runLoad({ ...specOf(t), connections: 1, durationSeconds: Math.max(2, seconds / 2 / rounds) });
        load[t.name]!.push({ c10: c10.get(t.name)!, c1 });
      }
    }
    const st = targets(true);
    const samples: Record<string, { ttft: number[]; total: number[] }> = Object.fromEntries(st.map((t) => [t.name, { ttft: [], total: [] }]));
    const streamErrors: Record<string, string> = {};
    for (let i = 0; i < runs + 3; i++) {
      for (const t of st) {
        if (streamErrors[t.name] !== undefined) continue;
        // a peer that cannot stream this request is reported, not fatal (Portkey 1.15.2 answers
        // 500 "immutable" from its header update on Node 20 and 24 with this upstream)
        const s = await streamOnce(t, streamTokens).catch((error: unknown) => {
          streamErrors[t.name] = error instanceof Error ? error.message : String(error);
          return undefined;
        });
        if (s === undefined) continue;
        if (i >= 3) {
          samples[t.name]?.ttft.push(s.ttft);
          samples[t.name]?.total.push(s.total);
        }
      }
    }
    return summarize({ seconds, rounds, runs, streamTokens, load, samples, streamErrors });
  } finally {
    for (const s of servers.reverse()) await s.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

type RoundLoad = { c10: LoadResult; c1: LoadResult };
const NON_STREAMING = ['direct', 'portkey', 'palisade', 'floor', 'floor-fsync'] as const;
const STREAMING = ['direct', 'portkey', 'palisade', 'floor'] as const;

function summarize(d: { seconds: number; rounds: number; runs: number; streamTokens: number; load: Record<string, RoundLoad[]>; samples: Record<string, { ttft: number[]; total: number[] }>; streamErrors: Record<string, string> }) {
  const { seconds, rounds, runs, streamTokens, load, samples, streamErrors } = d;
  const f = (n: number, d = 2): string => n.toFixed(d);
  const R = (n: string): RoundLoad[] => load[n] ?? [];
  /** the median over rounds of a figure of one path */
  const M = (n: string, pick: (l: RoundLoad) => number): number => median(R(n).map(pick));
  /** the median over rounds of a same-round comparison of two paths */
  const perRound = (a: string, b: string, cmp: (x: RoundLoad, y: RoundLoad) => number): number[] => R(a).map((x, i) => cmp(x, R(b)[i]!));
  const reqRatio = (a: string, b: string): number[] => perRound(a, b, (x, y) => x.c10.reqPerSec / y.c10.reqPerSec);
  const addedP50 = (a: string): number[] => perRound(a, 'direct', (x, y) => x.c1.p50Ms - y.c1.p50Ms);
  const S = (n: string, k: 'ttft' | 'total'): number => median(samples[n]?.[k] ?? []);
  return {
    settings: { seconds, rounds, connections: [10, 1], stream_runs: runs, stream_tokens: streamTokens, stream_chunk_delay_ms: STREAM_CHUNK_DELAY_MS, node: process.version, portkey: '@portkey-ai/gateway 1.15.2' },
    non_streaming: Object.fromEntries(NON_STREAMING.map((n) => [n, {
      req_per_s_c10: f(M(n, (l) => l.c10.reqPerSec), 0), p50_ms_c10: f(M(n, (l) => l.c10.p50Ms)), p50_ms_c1: f(M(n, (l) => l.c1.p50Ms)),
      unexpected: R(n).reduce((sum, l) => sum + l.c10.unexpected + l.c1.unexpected, 0),
    }])),
    rounds_detail: {
      palisade_over_portkey_req_per_s_c10: reqRatio('palisade', 'portkey').map((x) => f(x)),
      palisade_added_p50_ms_c1: addedP50('palisade').map((x) => f(x)),
      portkey_added_p50_ms_c1: addedP50('portkey').map((x) => f(x)),
      floor_added_p50_ms_c1: addedP50('floor').map((x) => f(x)),
      floor_fsync_added_p50_ms_c1: addedP50('floor-fsync').map((x) => f(x)),
    },
    streaming_errors: streamErrors,
    streaming_ms: Object.fromEntries(STREAMING.map((n) => [n, { ttft_median: f(S(n, 'ttft'), 3), total_median: f(S(n, 'total'), 3) }])),
    ratios: {
      palisade_over_portkey_req_per_s_c10: f(median(reqRatio('palisade', 'portkey'))),
      palisade_over_direct_req_per_s_c10: f(median(reqRatio('palisade', 'direct'))),
      portkey_over_direct_req_per_s_c10: f(median(reqRatio('portkey', 'direct'))),
      palisade_added_p50_ms_c1: f(median(addedP50('palisade'))),
      portkey_added_p50_ms_c1: f(median(addedP50('portkey'))),
      floor_added_p50_ms_c1: f(median(addedP50('floor'))),
      floor_fsync_added_p50_ms_c1: f(median(addedP50('floor-fsync'))),
      palisade_over_floor_fsync_req_per_s_c10: f(median(reqRatio('palisade', 'floor-fsync'))),
      floor_ttft_overhead_ms: f(S('floor', 'ttft') - S('direct', 'ttft'), 3),
      palisade_ttft_overhead_ms: f(S('palisade', 'ttft') - S('direct', 'ttft'), 3),
      portkey_ttft_overhead_ms: f(S('portkey', 'ttft') - S('direct', 'ttft'), 3),
      palisade_per_chunk_overhead_ms: f((S('palisade', 'total') - S('direct', 'total')) / streamTokens, 4),
      portkey_per_chunk_overhead_ms: f((S('portkey', 'total') - S('direct', 'total')) / streamTokens, 4),
    },
  };
}

/** The lines `npm run bench` prints for the chat peers. */
export function formatChatPeers(r: ChatPeersResult): string[] {
  const n = r.non_streaming;
  const s = r.streaming_ms;
  return [
    `chat proxy vs a peer (same run; ${r.settings.portkey}; fake OpenAI upstream; ${r.settings.rounds} rounds of every path in turn, ${r.settings.seconds} s of 10-connection load per path in all; medians over the rounds; ${r.settings.stream_runs} streams of ${r.settings.stream_tokens} tokens, ${r.settings.stream_chunk_delay_ms} ms before each):`,
    '| path | req/s 10 conn | p50 ms 10 conn | p50 ms 1 conn | stream TTFT ms | stream total ms |',
    '|---|---:|---:|---:|---:|---:|',
    ...NON_STREAMING.map((k) => `| ${k} | ${n[k]?.req_per_s_c10 ?? ''} | ${n[k]?.p50_ms_c10 ?? ''} | ${n[k]?.p50_ms_c1 ?? ''} | ${s[k]?.ttft_median ?? ''} | ${s[k]?.total_median ?? ''} |`),
    `Palisade/Portkey req/s (10 conn) ${r.ratios.palisade_over_portkey_req_per_s_c10}x (rounds: ${r.rounds_detail.palisade_over_portkey_req_per_s_c10.join(', ')}); added p50 at 1 conn over direct by round: Palisade ${r.rounds_detail.palisade_added_p50_ms_c1.map((x) => `+${x}`).join(', ')} ms, Portkey ${r.rounds_detail.portkey_added_p50_ms_c1.map((x) => `+${x}`).join(', ')} ms`,
    `medians: Palisade/Portkey req/s (10 conn) ${r.ratios.palisade_over_portkey_req_per_s_c10}x; added p50 at 1 conn over direct: Palisade +${r.ratios.palisade_added_p50_ms_c1} ms, Portkey +${r.ratios.portkey_added_p50_ms_c1} ms; streaming through Palisade: +${r.ratios.palisade_ttft_overhead_ms} ms to the first token, +${r.ratios.palisade_per_chunk_overhead_ms} ms per chunk`,
    `the floor (a bare Node proxy, floor-proxy-child.ts): added p50 at 1 conn +${r.ratios.floor_added_p50_ms_c1} ms (rounds: ${r.rounds_detail.floor_added_p50_ms_c1.map((x) => `+${x}`).join(', ')}); with a group-committed fdatasync'd line before each answer +${r.ratios.floor_fsync_added_p50_ms_c1} ms (rounds: ${r.rounds_detail.floor_fsync_added_p50_ms_c1.map((x) => `+${x}`).join(', ')}); +${r.ratios.floor_ttft_overhead_ms} ms to the first token; Palisade/floor-with-fdatasync req/s (10 conn) ${r.ratios.palisade_over_floor_fsync_req_per_s_c10}x`,
    ...Object.entries(r.streaming_errors).map(([k, v]) => `chat peers: ${k} could not stream (${v})`),
  ];
}
