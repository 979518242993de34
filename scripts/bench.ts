/**
 * `npm run bench`: autocannon against the real gateway (a child process: production
 * openGateway + Express on 127.0.0.1, see scripts/bench/gateway-child.ts) and, in the same
 * run, two baselines in their own child processes: a bare Express 5 JSON POST echo and a bare
 * node:http JSON echo. Prints a table (req/s, p50/p99, ratio to each baseline, RSS) and writes
 * bench-results/bench-<timestamp>.json.
 *
 *   node scripts/bench.ts            full run (10 s per case, ~3 min)
 *   node scripts/bench.ts --quick    smoke run (1 s per case, no Docker cases)
 *   node scripts/bench.ts --soak     10 minutes of the isolate echo case, RSS sampled every 10 s
 *   options: --duration <s>  --connections <n>  --out <dir>  --no-docker  --soak-seconds <s>
 *            --only <case ids and groups, comma-separated> (scripts/bench/select.ts)
 *            --docker-runtime runc|runsc|auto (PALISADE_DOCKER_RUNTIME of the gateway; default: its default, auto)
 *            --cpu-prof <dir> (a V8 CPU profile of the gateway child under test, written when it stops)
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { AGENT_RATE_LIMIT_MAX } from '../agent-gateway/config.ts';
import { CALL_STAGES } from '../agent-gateway/metrics/stages.ts';
import { crashLoad, gatewayCases, scrape, stageMeans, type BenchPrepared, type Scrape } from './bench/cases.ts';
import { dockerReachable, runCold } from './bench/cold.ts';
import { formatStatuses, runLoad, type LoadSpec } from './bench/load.ts';
import { captureMcpEcho } from './bench/mcp.ts';
import { pssMiB, rssMiB, startServer, treePssMiB, treeRssMiB, type Server } from './bench/procs.ts';
import { formatTable, machine, ratios, type Row } from './bench/report.ts';
import { addEvalTool, BENCH_ADMIN_PASSWORD, ECHO_BODY, makeDockerToolsDir, preflight, prepareGateway, waitForDocker, type Prepared } from './bench/setup.ts';
import { benchSelection } from './bench/select.ts';
import { runSoak } from './bench/soak.ts';
import { governanceRows } from './bench/governance-row.ts';
import { dockerRuntimeRows } from './bench/docker-runtimes.ts';
import { UPSTREAM_FIXTURES_DIR, upstreamMcpRows } from './bench/upstream-mcp.ts';
import { formatChatPeers, runChatPeers } from './bench/chat-peers.ts';

const here = (rel: string): string => fileURLToPath(new URL(rel, import.meta.url));
const ROOT = here('../');

function readArgs() {
  try {
    return parseArgs({
    options: {
      quick: { type: 'boolean' }, soak: { type: 'boolean' }, 'no-docker': { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      duration: { type: 'string' }, connections: { type: 'string' }, out: { type: 'string' }, 'soak-seconds': { type: 'string' },
      only: { type: 'string' }, 'docker-runtime': { type: 'string' }, 'cpu-prof': { type: 'string' },
    },
    strict: true,
  }).values;
  } catch (error) {
    process.stderr.write(`bench: ${(error as Error).message}\n`);
    process.exit(2);
  }
}
const args = readArgs();
if (args.help === true) {
  process.stdout.write('Usage: node scripts/bench.ts [--quick | --soak] [--duration s] [--connections n] [--out dir] [--no-docker] [--soak-seconds s] [--only names] [--docker-runtime r] [--cpu-prof dir]\n');
  process.exit(0);
}
const positive = (raw: string | undefined, fallback: number): number => {
  const n = Number(raw);
  return raw !== undefined && Number.isSafeInteger(n) && n > 0 ? n : fallback;
};
const quick = args.quick === true;
const duration = positive(args.duration, quick ? 1 : 10);
const warmup = quick ? 0 : 2;
const connections = positive(args.connections, 10);
const outDir = args.out ?? join(ROOT, 'bench-results');
const log = (line: string): void => void process.stderr.write(`bench: ${line}\n`);
const selection = benchSelection(args.only, gatewayCases(connections).map((c) => c.id));
if (!selection.ok) {
  process.stderr.write(`bench: ${selection.problem}\n`);
  process.exit(2);
}
const { want, filtered } = selection;

const baseEnv: Record<string, string> = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: process.env['HOME'] ?? '/tmp' };
const cleanups: Array<() => Promise<void> | void> = [];
async function cleanup(): Promise<void> {
  for (const c of cleanups.splice(0).reverse()) await c();
}
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => void cleanup().then(() => process.exit(130)));

async function measured(server: Server, spec: LoadSpec, beforeTimed?: () => Promise<void>): Promise<{ r: Awaited<ReturnType<typeof runLoad>>; before: number; after: number; tree: number }> {
  if (warmup > 0) await runLoad({ ...spec, durationSeconds: warmup });
  await beforeTimed?.();
  const before = rssMiB(server.pid);
  const r = await runLoad(spec);
  return { r, before, after: rssMiB(server.pid), tree: treeRssMiB(server.pid) };
}

async function baseline(id: string, label: string, script: string, conns = connections): Promise<Row> {
  const server = await startServer(label, here(script), baseEnv);
  try {
    const url = `http://127.0.0.1:${server.port}/echo`;
    await preflight(url, { method: 'POST', headers: {}, body: '{"text":"hello"}' }, 200, (b) => JSON.stringify(b) === '{"text":"hello"}');
    const { r, before, after } = await measured(server, { url, method: 'POST', body: '{"text":"hello"}', connections: conns, durationSeconds: duration, expectStatus: 200 });
    return { id, label, target: 'baseline', connections: conns, ...r, rssBeforeMiB: before, rssAfterMiB: after };
  } finally {
    await server.stop();
  }
}

interface Startup { healthMs: number; idleRssMiB: number; idleTreeRssMiB: number; idlePssMiB: number; idleTreePssMiB: number }
/** start → first /health and idle memory, per backend mode (issue 12 states its targets for the isolate backend) */
const startups: { isolate?: Startup; docker?: Startup } = {};
const stageRows: Array<{ id: string; eldMs: Record<string, number>; stages: Record<string, { meanUs: number; count: number }> }> = [];

async function startGateway(withDocker: boolean): Promise<{ server: Server; base: string; prepared: Prepared; dockerOk: boolean; dockerDetail: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'palisade-bench-data-'));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const env: Record<string, string> = {
    ...baseEnv, PALISADE_DATA_DIR: dataDir, PALISADE_ADMIN_PASSWORD: BENCH_ADMIN_PASSWORD, PALISADE_LOG_LEVEL: 'error',
    PALISADE_AGENT_RATE_LIMIT: `${AGENT_RATE_LIMIT_MAX.burst}/${AGENT_RATE_LIMIT_MAX.perSecond}`,
    PALISADE_SANDBOX_BACKEND: withDocker ? 'auto' : 'isolate',
    // the crash-load case keeps its crasher crashing for the whole run instead of being throttled after 5 faults
    PALISADE_SANDBOX_FAULT_THRESHOLD: '1000',
    PALISADE_MCP_SERVERS_DIR: UPSTREAM_FIXTURES_DIR, // issue 16: the fixture upstream MCP server
    ...(args['docker-runtime'] === undefined ? {} : { PALISADE_DOCKER_RUNTIME: args['docker-runtime'] }),
    ...(args['cpu-prof'] === undefined || !withDocker ? {} : { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${args['cpu-prof']}` }),
  };
  const tools = withDocker ? makeDockerToolsDir() : mkdtempSync(join(tmpdir(), 'palisade-bench-tools-'));
  addEvalTool(tools);
  cleanups.push(() => rmSync(tools, { recursive: true, force: true }));
  env['PALISADE_TOOLS_DIR'] = tools;
  const spawned = performance.now();
  const server = await startServer('gateway', here('./bench/gateway-child.ts'), env);
  cleanups.push(() => server.stop());
  const base = `http://127.0.0.1:${server.port}`;
  for (;;) { // start → first GET /health 200 (the child's own start, imports included)
    const ok = await fetch(`${base}/health`).then((r) => r.status === 200, () => false);
    if (ok) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  startups[withDocker ? 'docker' : 'isolate'] = {
    healthMs: performance.now() - spawned, idleRssMiB: rssMiB(server.pid), idleTreeRssMiB: treeRssMiB(server.pid), idlePssMiB: pssMiB(server.pid), idleTreePssMiB: treePssMiB(server.pid),
  };
  const prepared = await prepareGateway(base);
  const docker = withDocker ? await waitForDocker(base, 180_000) : { ok: false, detail: 'not requested' };
  return { server, base, prepared, dockerOk: docker.ok, dockerDetail: docker.detail };
}

async function main(): Promise<void> {
  const startedAt = new Date();
  if (args.soak === true) {
    const { server, base, prepared } = await startGateway(false);
    const seconds = positive(args['soak-seconds'], 600);
    const echo = { url: `${base}/tools/call`, method: 'POST' as const, headers: { authorization: `Bearer ${prepared.echoAgentToken}` }, body: ECHO_BODY, connections, expectStatus: 200 };
    // issue 12: the soak runs at ~50% of the max echo load, measured first in the same run
    const max = await runLoad({ ...echo, durationSeconds: 10 });
    const rate = Math.max(1, Math.round(max.reqPerSec / 2));
    log(`soak: max echo ${max.reqPerSec.toFixed(0)} req/s over 10 s; ${seconds} s at ${rate} req/s (50%), RSS and fds every 10 s`);
    const soak = await runSoak(server, { ...echo, durationSeconds: seconds, overallRate: rate }, log);
    process.stdout.write(`${soak.text}\n`);
    mkdirSync(outDir, { recursive: true });
    const file = join(outDir, `bench-soak-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, `${JSON.stringify({ kind: 'soak', started_at: startedAt.toISOString(), machine: machine(), ...soak.json }, null, 2)}\n`);
    process.stdout.write(`wrote ${file}\n`);
    return;
  }

  const wantDocker = !quick && args['no-docker'] !== true && (await dockerReachable());
  const skipped: string[] = [];
  if (!wantDocker) skipped.push(quick ? 'docker cases: skipped in --quick' : args['no-docker'] === true ? 'docker cases: --no-docker' : 'docker cases: no Docker daemon reachable');
  log(`mode ${quick ? 'quick' : 'full'}: ${duration} s per case, ${connections} connections, docker ${wantDocker ? 'on' : 'off'}`);

  const rows: Row[] = [];
  if (want('baselines')) {
    log('baseline node:http');
    rows.push(await baseline('baseline-http', 'baseline node:http echo', './bench/baseline-http.ts'));
    log('baseline express');
    rows.push(await baseline('baseline-express', 'baseline express 5 echo', './bench/baseline-express.ts'));
    log('baseline express, 1 connection');
    rows.push(await baseline('baseline-express-1', 'baseline express 5 echo, 1 connection', './bench/baseline-express.ts', 1));
  }

  if (wantDocker && want('isolate-start')) { // the start and idle memory of the default (isolate) backend, on its own
    log('start and idle memory with the isolate backend');
    await (await startGateway(false)).server.stop();
  }
  log('starting the gateway child');
  const gw = await startGateway(wantDocker);
  if (wantDocker && !gw.dockerOk) skipped.push(`docker cases: docker backend not healthy (${gw.dockerDetail})`);
  const dockerNote = wantDocker && gw.dockerOk ? `docker backend of the gateway under test: ${gw.dockerDetail}` : undefined;
  const prepared: BenchPrepared = { ...gw.prepared, mcpEcho: await captureMcpEcho(gw.base, gw.prepared.echoAgentToken) };
  const rssStart = rssMiB(gw.server.pid);
  for (const c of gatewayCases(connections)) {
    if ((c.docker === true && !(wantDocker && gw.dockerOk)) || !want(c.id)) continue;
    if (c.full === true && quick) continue;
    const spec = { ...c.spec(gw.base, prepared), durationSeconds: duration };
    log(c.label);
    await preflight(spec.url, { method: spec.method, headers: { ...spec.headers }, ...(spec.body === undefined ? {} : { body: spec.body }) }, spec.expectStatus, c.check);
    const stopCrashing = c.crashLoad === true ? crashLoad(gw.base, prepared.crasherToken) : undefined;
    let first: Scrape | undefined;
    const { r, before, after, tree } = await measured(gw.server, spec, async () => { first = await scrape(gw.base, prepared.adminToken); }).finally(async () => {
      if (stopCrashing !== undefined) log(`crash load: ${await stopCrashing()} worker-killing jobs sent`);
    });
    if (first !== undefined) {
      const last = await scrape(gw.base, prepared.adminToken);
      stageRows.push({ id: c.id, eldMs: last.eld, stages: stageMeans(first, last) });
    }
    rows.push({ id: c.id, label: c.label, target: 'gateway', connections: spec.connections, ...r, rssBeforeMiB: before, rssAfterMiB: after, treeRssAfterMiB: tree, ...(c.note === undefined ? {} : { note: c.note }) });
  }
  if (want('governance')) rows.push(...await governanceRows({ base: gw.base, adminToken: prepared.adminToken, agentToken: prepared.echoAgentToken, connections, durationSeconds: duration, // issue 14
    measure: async (spec) => { const m = await measured(gw.server, spec); return { ...m.r, rssBeforeMiB: m.before, rssAfterMiB: m.after, treeRssAfterMiB: m.tree }; } }));
  if (wantDocker && want('upstream-mcp')) rows.push(...await upstreamMcpRows({ base: gw.base, adminToken: prepared.adminToken, connections, durationSeconds: duration, // issue 16
    measure: async (spec) => { const m = await measured(gw.server, spec); return { ...m.r, rssBeforeMiB: m.before, rssAfterMiB: m.after, treeRssAfterMiB: m.tree }; } }).catch((e: Error) => { skipped.push(`upstream-mcp: ${e.message}`); return []; }));
  const rssEnd = rssMiB(gw.server.pid);
  if (wantDocker && want('docker-cold')) {
    log('docker cold: fresh container per call');
    try {
      const n = 10;
      const cold = await runCold(n);
      rows.push({
        id: 'docker-cold', label: 'echo, cold fresh container', target: 'sandbox', connections: 1, reqPerSec: cold.reqPerSec, p50Ms: cold.p50Ms, p99Ms: cold.p99Ms,
        meanMs: cold.meanMs, total: n - cold.failures, unexpected: cold.failures, rssBeforeMiB: Number.NaN, rssAfterMiB: Number.NaN,
        note: `${n} sequential jobs with fresh: true at the backend interface (create+start+ready+call+remove), no HTTP`,
      });
    } catch (error) {
      skipped.push(`docker-cold: ${(error as Error).message}`);
    }
  }
  // issue 20: runc vs runsc (gVisor), cold start and warm echo / js.eval, same run, with the ratio
  const runtimeBench = wantDocker && want('docker-runtimes') ? await dockerRuntimeRows().catch((e: Error) => ({ rows: [], lines: [], skipped: [`docker runtimes: ${e.message}`] })) : undefined;
  rows.push(...(runtimeBench?.rows ?? []));
  skipped.push(...(runtimeBench?.skipped ?? []));
  await cleanup();
  // issue 23: the chat proxy against Portkey's gateway and the direct call, in this run (its own
  // gateway, fake providers and Portkey as child processes, started after the cases above stop)
  const chat = want('chat-peers')
    ? await runChatPeers({ seconds: duration, runs: quick ? 5 : 40, tokens: 50, rounds: quick ? 1 : 3 }).catch((e: Error) => { skipped.push(`chat-peers: ${e.message}`); return undefined; })
    : undefined;

  const table = formatTable(rows);
  const http = rows.find((r) => r.id === 'baseline-http');
  const express = rows.find((r) => r.id === 'baseline-express');
  const noop = rows.find((r) => r.id === 'auth-noop');
  const login = rows.find((r) => r.id === 'login');
  const rest = rows.find((r) => r.id === 'echo-isolate');
  const viaMcp = rows.find((r) => r.id === 'echo-mcp');
  const lines = [
    '',
    `Palisade benchmark ${startedAt.toISOString()} (${quick ? 'quick' : 'full'}; ${duration} s per case after ${warmup} s warm-up; gateway in a child process, autocannon in this one)`,
    table,
    '',
    `gateway RSS: ${rssStart.toFixed(0)} MiB after setup → ${rssEnd.toFixed(0)} MiB after the gateway cases (gateway process; "tree RSS" adds its isolate host children)`,
    ...(noop === undefined ? [] : [`authenticated no-op: ${(1e6 / noop.reqPerSec).toFixed(0)} µs of server time per request at saturation (1e6 / req/s), p50 ${noop.p50Ms.toFixed(2)} ms`]),
    ...(rest === undefined || viaMcp === undefined ? [] : [
      `MCP vs REST echo (same run): ${(viaMcp.reqPerSec / rest.reqPerSec).toFixed(3)}x req/s ` +
      `(${(100 * (1 - viaMcp.reqPerSec / rest.reqPerSec)).toFixed(1)}% overhead), p50 ${viaMcp.p50Ms.toFixed(2)} vs ${rest.p50Ms.toFixed(2)} ms (+${(viaMcp.p50Ms - rest.p50Ms).toFixed(2)} ms)`,
    ]),
    ...(login === undefined ? [] : [`one login (PBKDF2-HMAC-SHA256 600,000): p50 ${login.p50Ms.toFixed(0)} ms`]),
    ...((): string[] => {
      const plain = rows.find((r) => r.id === 'eval-isolate');
      const crashed = rows.find((r) => r.id === 'eval-crash');
      if (plain === undefined || crashed === undefined) return [];
      return [`js.eval under crash load vs plain (same run): ${(crashed.reqPerSec / plain.reqPerSec).toFixed(3)}x req/s, p99 ${crashed.p99Ms.toFixed(1)} vs ${plain.p99Ms.toFixed(1)} ms, ${crashed.unexpected} unexpected answers (statuses: ${formatStatuses(crashed.statuses ?? {})})`];
    })(),
    // issue 22: every row that got answers other than the expected one says which (status × count)
    ...rows.filter((r) => r.unexpected > 0 && r.statuses !== undefined)
      .map((r) => `${r.id}: ${r.unexpected} unexpected; all answers by status: ${formatStatuses(r.statuses ?? {})}`),
    ...(Object.entries(startups).map(([mode, st]) => `start → first GET /health 200 (${mode === 'docker' ? 'Docker on' : 'isolate backend'}): ${st.healthMs.toFixed(0)} ms; idle RSS after start ${st.idleRssMiB.toFixed(0)} MiB gateway process / ${st.idleTreeRssMiB.toFixed(0)} MiB process tree (sum of RSS: the node binary and libraries shared by the processes count once per process), Pss ${st.idlePssMiB.toFixed(0)} MiB / ${st.idleTreePssMiB.toFixed(0)} MiB (shared pages split between them)`)),
    ...((): string[] => {
      const one = rows.find((r) => r.id === 'echo-isolate-1');
      const ex1 = rows.find((r) => r.id === 'baseline-express-1');
      return one === undefined || ex1 === undefined ? [] : [`echo via isolate, 1 connection: p50 ${one.p50Ms.toFixed(2)} ms vs Express ${ex1.p50Ms.toFixed(2)} ms (+${(one.p50Ms - ex1.p50Ms).toFixed(2)} ms added)`];
    })(),
    '',
    'per-stage mean µs per call (palisade_call_stage_seconds, timed part of each case) and event-loop delay of the gateway process:',
    `| case | ${CALL_STAGES.join(' | ')} | loop p50 ms | loop p99 ms | loop max ms |`,
    `|---|${CALL_STAGES.map(() => '---:').join('|')}|---:|---:|---:|`,
    ...stageRows.filter((s) => Object.keys(s.stages).length > 0 || s.id === 'echo-isolate').map((s) =>
      `| ${s.id} | ${CALL_STAGES.map((st) => (s.stages[st] === undefined ? '' : s.stages[st].meanUs.toFixed(0))).join(' | ')} | ${(s.eldMs['p50'] ?? Number.NaN).toFixed(2)} | ${(s.eldMs['p99'] ?? Number.NaN).toFixed(2)} | ${(s.eldMs['max'] ?? Number.NaN).toFixed(2)} |`),
    ...(runtimeBench?.lines ?? []),
    ...(chat === undefined ? [] : ['', ...formatChatPeers(chat)]),
    ...(dockerNote === undefined ? [] : [dockerNote]),
    ...(filtered ? [`only: ${args.only ?? ''}`] : []),
    ...skipped.map((s) => `skipped: ${s}`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `bench-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify({
    kind: quick ? 'quick' : 'full', started_at: startedAt.toISOString(), machine: machine(),
    settings: { duration_seconds: duration, warmup_seconds: warmup, connections, gateway: 'child process (scripts/bench/gateway-child.ts)', load_generator: 'autocannon 9, in the bench process' },
    gateway_rss_mib: { after_setup: rssStart, after_cases: rssEnd },
    startups, stages: stageRows, ...(chat === undefined ? {} : { chat_peers: chat }),
    rows: rows.map((r) => ({ ...r, ratio_vs_node_http: ratios(r, http, express).vsHttp, ratio_vs_express: ratios(r, http, express).vsExpress })),
    skipped,
  }, null, 2)}\n`);
  process.stdout.write(`wrote ${file}\n`);
}

try {
  await main();
} catch (error) {
  process.stderr.write(`bench: failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
