/**
 * Only the bench row "upstream MCP tool call (fixture echo server in a container)" (issue 16),
 * for measuring it without the whole `npm run bench`: the same gateway child (gateway-child.ts,
 * production openGateway), the same setup (prepareGateway), the same row (upstream-mcp.ts) with
 * the same warm-up (2 s) and load generator. The worker backend is `isolate` here (the row needs
 * Docker only for the upstream server's own container, not the worker pool).
 *
 *   node scripts/bench/upstream-mcp-row.ts [--duration s] [--connections n] [--cpu-prof dir]
 *
 * --cpu-prof writes a V8 CPU profile of the gateway child into dir when it stops.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { AGENT_RATE_LIMIT_MAX } from '../../agent-gateway/config.ts';
import { runLoad } from './load.ts';
import { rssMiB, startServer, treeRssMiB } from './procs.ts';
import { formatTable } from './report.ts';
import { BENCH_ADMIN_PASSWORD, prepareGateway } from './setup.ts';
import { UPSTREAM_FIXTURES_DIR, upstreamMcpRows } from './upstream-mcp.ts';

const { values: args } = parseArgs({ options: { duration: { type: 'string' }, connections: { type: 'string' }, 'cpu-prof': { type: 'string' } }, strict: true });
const positive = (raw: string | undefined, fallback: number): number => {
  const n = Number(raw);
  return raw !== undefined && Number.isSafeInteger(n) && n > 0 ? n : fallback;
};
const duration = positive(args.duration, 10);
const connections = positive(args.connections, 10);

const dataDir = mkdtempSync(join(tmpdir(), 'palisade-bench-data-'));
const env: Record<string, string> = {
  PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: process.env['HOME'] ?? '/tmp',
  PALISADE_DATA_DIR: dataDir, PALISADE_ADMIN_PASSWORD: BENCH_ADMIN_PASSWORD, PALISADE_LOG_LEVEL: 'error',
  PALISADE_AGENT_RATE_LIMIT: `${AGENT_RATE_LIMIT_MAX.burst}/${AGENT_RATE_LIMIT_MAX.perSecond}`,
  PALISADE_SANDBOX_BACKEND: 'isolate', PALISADE_MCP_SERVERS_DIR: UPSTREAM_FIXTURES_DIR,
  ...(process.env['PALISADE_DOCKER_RUNTIME'] === undefined ? {} : { PALISADE_DOCKER_RUNTIME: process.env['PALISADE_DOCKER_RUNTIME'] }),
  ...(args['cpu-prof'] === undefined ? {} : { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${args['cpu-prof']}` }),
};
const server = await startServer('gateway', fileURLToPath(new URL('./gateway-child.ts', import.meta.url)), env);
try {
  const base = `http://127.0.0.1:${server.port}`;
  const prepared = await prepareGateway(base);
  const rows = await upstreamMcpRows({
    base, adminToken: prepared.adminToken, connections, durationSeconds: duration,
    measure: async (spec) => {
      await runLoad({ ...spec, durationSeconds: 2 }); // warm-up, as bench.ts
      const before = rssMiB(server.pid);
      const r = await runLoad(spec);
      return { ...r, rssBeforeMiB: before, rssAfterMiB: rssMiB(server.pid), treeRssAfterMiB: treeRssMiB(server.pid) };
    },
  });
  process.stdout.write(`${formatTable(rows)}\n`);
  for (const r of rows) process.stdout.write(`${JSON.stringify(r)}\n`);
} finally {
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
