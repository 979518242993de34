/**
 * What `npm run bench` measures against the gateway child: the cases (request, expected
 * status, body check), the crash load some of them run under, and the reading of the
 * gateway's own per-stage histograms and event-loop gauge from /metrics.
 */
import { CALL_STAGES } from '../../agent-gateway/metrics/stages.ts';
import type { LoadSpec } from './load.ts';
import { mcpEchoOk, type CapturedRequest } from './mcp.ts';
import { BENCH_ADMIN_PASSWORD, CRASH_BODIES, ECHO_BODY, ECHO_DOCKER_BODY, EVAL_BODY, EVAL_DOCKER_BODY, type Prepared } from './setup.ts';

/** The gateway's own stage histograms and the bench-only event-loop gauge, from /metrics. */
export interface Scrape { readonly stages: Record<string, { sum: number; count: number }>; readonly eld: Record<string, number> }
export async function scrape(base: string, token: string): Promise<Scrape> {
  const text = await (await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${token}` } })).text();
  const stages: Record<string, { sum: number; count: number }> = {};
  const eld: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^palisade_call_stage_seconds_(sum|count)\{stage="([a-z]+)"\} (\S+)$/.exec(line);
    if (m !== null) {
      const e = (stages[m[2]!] ??= { sum: 0, count: 0 });
      e[m[1] as 'sum' | 'count'] = Number(m[3]);
    }
    const q = /^bench_event_loop_delay_seconds\{q="([a-z0-9]+)"\} (\S+)$/.exec(line);
    if (q !== null) eld[q[1]!] = Number(q[2]) * 1000;
  }
  return { stages, eld };
}
/** mean µs per stage between two scrapes (calls that reached the stage) */
export function stageMeans(a: Scrape, b: Scrape): Record<string, { meanUs: number; count: number }> {
  const out: Record<string, { meanUs: number; count: number }> = {};
  for (const st of CALL_STAGES) {
    const x = a.stages[st] ?? { sum: 0, count: 0 };
    const y = b.stages[st] ?? { sum: 0, count: 0 };
    const n = y.count - x.count;
    if (n > 0) out[st] = { meanUs: ((y.sum - x.sum) / n) * 1e6, count: n };
  }
  return out;
}

/** The prepared gateway plus the captured official-client MCP request. */
export type BenchPrepared = Prepared & { readonly mcpEcho: CapturedRequest };

export interface GatewayCase {
  readonly id: string;
  readonly label: string;
  readonly spec: (base: string, p: BenchPrepared) => Omit<LoadSpec, 'durationSeconds'>;
  readonly check: (body: unknown) => boolean;
  readonly note?: string;
  /** full runs only (the crash-load case kills workers for its whole duration) */
  readonly full?: boolean;
  /** another agent sends worker-killing jobs back to back while this case is measured */
  readonly crashLoad?: boolean;
  /** runs only when the gateway's Docker backend is healthy */
  readonly docker?: boolean;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const echoOk = (b: unknown): boolean => isObj(b) && b['status'] === 'ok' && isObj(b['result']) && b['result']['text'] === 'hello';
const evalOk = (b: unknown): boolean => isObj(b) && b['status'] === 'ok' && b['result'] === 1;

/** Two loops of worker-killing jobs from another agent until the returned stop() (issue 22). */
export function crashLoad(base: string, token: string): () => Promise<number> {
  let running = true;
  let sent = 0;
  const loop = async (offset: number): Promise<void> => {
    for (let i = offset; running; i++) {
      sent += 1;
      await fetch(`${base}/tools/call`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: CRASH_BODIES[i % CRASH_BODIES.length]! })
        .then((r) => r.arrayBuffer(), () => undefined);
    }
  };
  const loops = [loop(0), loop(1)];
  return async () => {
    running = false;
    await Promise.all(loops);
    return sent;
  };
}

/** The gateway cases of a full run, in order; `connections` is the run's default. */
export function gatewayCases(connections: number): readonly GatewayCase[] {
  return [
  { id: 'health', label: 'gateway GET /health (no auth)', check: (b) => isObj(b) && b['status'] === 'ok',
    spec: (base) => ({ url: `${base}/health`, method: 'GET', connections, expectStatus: 200 }) },
  { id: 'auth-noop', label: 'gateway authenticated no-op', check: isObj, note: 'GET /admin/kill-switch with an admin bearer token: host check, helmet, token hash + sqlite session lookup',
    spec: (base, p) => ({ url: `${base}/admin/kill-switch`, method: 'GET', headers: { authorization: `Bearer ${p.adminToken}` }, connections, expectStatus: 200 }) },
  { id: 'echo-isolate', label: 'echo via isolate (warm)', check: echoOk, note: 'POST /tools/call: agent auth, checks, ajv, policy, isolate child IPC, result check, fsynced audit line before 200',
    spec: (base, p) => ({ url: `${base}/tools/call`, method: 'POST', headers: { authorization: `Bearer ${p.echoAgentToken}` }, body: ECHO_BODY, connections, expectStatus: 200 }) },
  { id: 'echo-isolate-1', label: 'echo via isolate, 1 connection', check: echoOk, note: 'the same, one connection: p50 minus the 1-connection Express p50 is the added latency',
    spec: (base, p) => ({ url: `${base}/tools/call`, method: 'POST', headers: { authorization: `Bearer ${p.echoAgentToken}` }, body: ECHO_BODY, connections: 1, expectStatus: 200 }) },
  { id: 'echo-mcp', label: 'echo via MCP (official client semantics, stateless)', check: mcpEchoOk,
    note: 'POST /mcp replaying the official client\'s 2026-07-28 tools/call bytes: agent auth, per-request SDK server, the same pipeline as REST',
    spec: (base, p) => ({ url: `${base}/mcp`, method: 'POST', headers: p.mcpEcho.headers, body: p.mcpEcho.body, connections, expectStatus: 200 }) },
  { id: 'echo-docker', label: 'echo via Docker warm pool', check: echoOk, docker: true,
    note: 'tool echo.docker (backend "docker", trusted as echo\'s manifest says: the worker\'s hardened realm) in reused two-layer containers, the gateway\'s default pool',
    spec: (base, p) => ({ url: `${base}/tools/call`, method: 'POST', headers: { authorization: `Bearer ${p.echoAgentToken}` }, body: ECHO_DOCKER_BODY, connections, expectStatus: 200 }) },
  { id: 'echo-docker-300', label: 'echo via Docker warm pool, 300 req/s offered', check: echoOk, docker: true,
    note: 'the same at a fixed 300 req/s over the run\'s connections (issue 15\'s "300 req/s, p50 <= 5 ms" as a latency at that load: at full speed a closed loop of 10 connections has p50 near 10 / req/s)',
    spec: (base, p) => ({ url: `${base}/tools/call`, method: 'POST', headers: { authorization: `Bearer ${p.echoAgentToken}` }, body: ECHO_DOCKER_BODY, connections, overallRate: 300, expectStatus: 200 }) },
  { id: 'eval-docker', label: 'js.eval return 1 via Docker warm pool', check: evalOk, docker: true,
    note: 'tool eval.docker (the js.eval action, backend "docker", untrusted): a fresh context of the agent\'s own isolate inside a reused container; a policy rule allows it without approval',
    spec: (base, p) => ({ url: `${base}/tools/call`, method: 'POST', headers: { authorization: `Bearer ${p.evalAgentToken}` }, body: EVAL_DOCKER_BODY, connections, expectStatus: 200 }) },
  { id: 'eval-isolate', label: 'js.eval return 1 via isolate', check: evalOk, full: true,
    note: 'tool eval.isolate (the js.eval action, backend "isolate"): a fresh isolate context per call',
    spec: (base, p) => ({ url: `${base}/tools/call`, method: 'POST', headers: { authorization: `Bearer ${p.evalAgentToken}` }, body: EVAL_BODY, connections, expectStatus: 200 }) },
  { id: 'eval-crash', label: 'js.eval under crash load', check: evalOk, full: true, crashLoad: true,
    note: 'the same while another agent sends timeouts, memory bombs and property explosions back to back on 2 loops (fault throttle raised for the bench so the load lasts the whole run)',
    spec: (base, p) => ({ url: `${base}/tools/call`, method: 'POST', headers: { authorization: `Bearer ${p.evalAgentToken}` }, body: EVAL_BODY, connections, expectStatus: 200 }) },
  { id: 'login', label: 'login (PBKDF2 600k)', check: (b) => isObj(b) && typeof b['token'] === 'string', note: 'POST /admin/login, 1 connection: p50 is the cost of one login',
    spec: (base) => ({ url: `${base}/admin/login`, method: 'POST', body: JSON.stringify({ username: 'admin', password: BENCH_ADMIN_PASSWORD }), connections: 1, expectStatus: 200 }) },
  { id: 'audit-burst', label: 'audit burst (policy deny)', check: (b) => isObj(b) && b['status'] === 403, note: '32 connections of calls denied by policy: each writes an fsynced audit line (group commit) and answers 403',
    spec: (base, p) => ({ url: `${base}/tools/call`, method: 'POST', headers: { authorization: `Bearer ${p.denyAgentToken}` }, body: ECHO_BODY, connections: 32, expectStatus: 403 }) },
  ];
}
