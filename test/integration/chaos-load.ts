/**
 * Chaos load for issue 22 (used by chaos-isolate.test.ts and chaos-docker.test.ts): through a real
 * gateway, one agent ("crasher") sends worker-killing js.eval jobs back to back on two loops
 * (timeouts, memory bombs, recursion, property explosion) while a second agent ("polite") sends
 * `return 1` in a loop. Returns every answer both agents got, for the tests to judge.
 */
import { call, createAgent, loginAdmin, startGateway, type JsonResponse, type TestGateway } from '../support/gateway.ts';

export const KILLERS: readonly string[] = [
  'for (;;) {}', // timeout
  'const a = []; for (;;) a.push(new Array(1e6).fill(1.5));', // memory bomb
  'const f = () => Promise.resolve().then(f); f(); await new Promise(() => {});', // microtask recursion
  'const o = {}; for (let i = 0; ; i++) o["k" + i] = i;', // property explosion (kills the worker)
  'const f = (n) => f(n + 1) + 1; return f(0);', // stack recursion
];

export interface Answer {
  readonly status: number;
  readonly code: string | undefined;
  readonly retryAfter: string | null;
  readonly ms: number;
}

/** the crasher's concurrent loops */
export const CRASH_LOOPS = 2;

export interface ChaosRun {
  readonly gw: TestGateway;
  readonly admin: string;
  readonly crasher: Answer[];
  readonly polite: Answer[];
}

function answer(res: JsonResponse, ms: number): Answer {
  const body = res.body as { status?: string; code?: string; error?: { code?: string } } | undefined;
  const code = body?.status === 'ok' ? 'ok' : body?.error?.code ?? body?.code;
  return { status: res.status, code, retryAfter: res.headers.get('retry-after'), ms };
}

export async function runChaos(env: Record<string, string>, seconds: number): Promise<ChaosRun> {
  const gw = await startGateway({
    env: { PALISADE_CALL_TIMEOUT_MS: '1000', PALISADE_SANDBOX_FAULT_COOLDOWN_SECONDS: '4', ...env },
    // the polite agent calls far faster than the default token bucket allows; the rate limiter is not under test
    mutate: (c) => ({ ...c, governance: { ...c.governance, agentBurst: 100_000, agentRatePerSecond: 100_000 } }),
  });
  const admin = (await loginAdmin(gw.url)).token;
  const tokens = {
    crasher: await createAgent(gw.url, admin, 'crasher', ['js.eval']),
    polite: await createAgent(gw.url, admin, 'polite', ['js.eval']),
  };
  const policy = await call(gw.url, 'PUT', '/admin/policy', {
    token: admin, body: { rules: [{ id: 'chaos-eval', effect: 'allow', agents: ['crasher', 'polite'], tools: ['js.eval'] }] },
  });
  if (policy.status !== 200) throw new Error(`policy: ${policy.status} ${policy.text}`);
  const crasher: Answer[] = [];
  const polite: Answer[] = [];
  const end = Date.now() + seconds * 1000;
  const send = async (token: string, code: string): Promise<Answer> => {
    const began = performance.now();
    const res = await call(gw.url, 'POST', '/tools/call', { token, body: { tool: 'js.eval', args: { code } } });
    return answer(res, performance.now() - began);
  };
  let k = 0;
  const crash = async (): Promise<void> => {
    while (Date.now() < end) {
      const a = await send(tokens.crasher, KILLERS[k++ % KILLERS.length]!);
      crasher.push(a);
      // throttled: come back when the gateway says so (bounded by the run's end)
      if (a.status === 429) await new Promise((r) => setTimeout(r, Math.min(Number(a.retryAfter ?? 1) * 1000, Math.max(0, end - Date.now()))));
    }
  };
  const behave = async (): Promise<void> => {
    while (Date.now() < end) polite.push(await send(tokens.polite, 'return 1'));
  };
  await Promise.all([...Array.from({ length: CRASH_LOOPS }, () => crash()), behave()]);
  // one last crasher call once the load is over: still inside a cooldown it must be refused
  crasher.push(await send(tokens.crasher, KILLERS[0]!));
  return { gw, admin, crasher, polite };
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/** Polls the audit log for an event until `match` finds one (bounded). */
export async function auditHas(run: ChaosRun, event: string, match: (e: { data?: Record<string, unknown> }) => boolean, ms = 10_000): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    const log = await call(run.gw.url, 'GET', `/admin/audit?event=${event}&limit=1000`, { token: run.admin });
    if ((log.body?.entries ?? []).some(match)) return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
}
