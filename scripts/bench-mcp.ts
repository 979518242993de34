/**
 * The cost of the MCP adapter alone, A/B against REST on the same gateway child, one
 * connection, interleaved (REST, MCP, REST, MCP) so machine drift hits both sides alike:
 *   - GET /tools vs MCP tools/list: no sandbox and no audit write, so the difference is the
 *     SDK's per-request server + transport and the JSON-RPC framing;
 *   - POST /tools/call echo vs MCP tools/call echo: the full call (isolate + fsynced audit line).
 * The MCP requests are the official client's own bytes (captured once, scripts/bench/mcp.ts).
 *
 *   node_modules/.bin/node scripts/bench-mcp.ts [--duration s] [--rounds n]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runLoad, type LoadResult, type LoadSpec } from './bench/load.ts';
import { captureMcp } from './bench/mcp.ts';
import { startServer } from './bench/procs.ts';
import { BENCH_ADMIN_PASSWORD, ECHO_BODY, prepareGateway } from './bench/setup.ts';

const { values } = parseArgs({ options: { duration: { type: 'string' }, rounds: { type: 'string' } }, strict: true });
const duration = Math.max(1, Number(values.duration ?? 5) || 5);
const rounds = Math.max(1, Number(values.rounds ?? 2) || 2);
const dataDir = mkdtempSync(join(tmpdir(), 'palisade-bench-mcp-'));
const env = {
  PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: process.env['HOME'] ?? '/tmp', PALISADE_DATA_DIR: dataDir,
  PALISADE_ADMIN_PASSWORD: BENCH_ADMIN_PASSWORD, PALISADE_LOG_LEVEL: 'error', PALISADE_SANDBOX_BACKEND: 'isolate',
};
const server = await startServer('gateway', fileURLToPath(new URL('./bench/gateway-child.ts', import.meta.url)), env);
try {
  const base = `http://127.0.0.1:${server.port}`;
  const p = await prepareGateway(base);
  const auth = { authorization: `Bearer ${p.echoAgentToken}` };
  const list = await captureMcp(base, p.echoAgentToken, 'tools/list');
  const echo = await captureMcp(base, p.echoAgentToken, 'tools/call');
  const pairs: Array<{ name: string; rest: Omit<LoadSpec, 'durationSeconds'>; mcp: Omit<LoadSpec, 'durationSeconds'> }> = [
    { name: 'list tools', rest: { url: `${base}/tools`, method: 'GET', headers: auth, connections: 1, expectStatus: 200 },
      mcp: { url: `${base}/mcp`, method: 'POST', headers: list.headers, body: list.body, connections: 1, expectStatus: 200 } },
    { name: 'echo call', rest: { url: `${base}/tools/call`, method: 'POST', headers: auth, body: ECHO_BODY, connections: 1, expectStatus: 200 },
      mcp: { url: `${base}/mcp`, method: 'POST', headers: echo.headers, body: echo.body, connections: 1, expectStatus: 200 } },
  ];
  const lines = ['| case | REST req/s | MCP req/s | MCP/REST | REST p50 ms | MCP p50 ms | Δ p50 ms | bad |', '|---|---:|---:|---:|---:|---:|---:|---:|'];
  for (const pair of pairs) {
    await runLoad({ ...pair.rest, durationSeconds: 1 });
    await runLoad({ ...pair.mcp, durationSeconds: 1 });
    const rest: LoadResult[] = [];
    const mcp: LoadResult[] = [];
    for (let i = 0; i < rounds; i++) {
      rest.push(await runLoad({ ...pair.rest, durationSeconds: duration }));
      mcp.push(await runLoad({ ...pair.mcp, durationSeconds: duration }));
    }
    const rps = (rs: LoadResult[]) => rs.reduce((a, r) => a + r.reqPerSec, 0) / rs.length;
    const p50 = (rs: LoadResult[]) => [...rs.map((r) => r.p50Ms)].sort((a, b) => a - b)[Math.floor((rs.length - 1) / 2)] ?? Number.NaN;
    const bad = [...rest, ...mcp].reduce((a, r) => a + r.unexpected, 0);
    lines.push(`| ${pair.name} | ${rps(rest).toFixed(0)} | ${rps(mcp).toFixed(0)} | ${(rps(mcp) / rps(rest)).toFixed(3)}x | ${p50(rest).toFixed(2)} | ${p50(mcp).toFixed(2)} | ${(p50(mcp) - p50(rest)).toFixed(2)} | ${bad} |`);
  }
  process.stdout.write(`MCP adapter cost, 1 connection, ${rounds} × ${duration} s per side, interleaved\n${lines.join('\n')}\n`);
} finally {
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
