/**
 * Bench rows for issue 14: "echo with taint+risk rules active and receipts" next to plain echo,
 * measured back to back in the same run, on the same gateway and agent, in the order plain,
 * governed, governed, plain (each row the mean of its two runs), reported as a ratio (target:
 * the extra cost ≤ 10 % of throughput).
 *
 *   plain     — the bench policy (rules only): no session state is read at admission.
 *   governed  — the same rules plus a taint rule and a risk budget: every call reads its
 *               principal's exact session summary (governance/state.ts: the newest call per tag,
 *               the calls per risk level in the window; the agent has just run the plain case,
 *               so its history is already as long as a busy agent's) and sums its risk. Echo
 *               carries no tag the taint rule blocks and the thresholds are out of reach, so
 *               every call is still a 200.
 * Both sign a receipt on every 200 (receipts are always on) and record the call in session state.
 * The bench policy is put back afterwards.
 */
import type { LoadSpec } from './load.ts';
import type { Row } from './report.ts';

export const GOVERNED_RULES = {
  taint: [{ id: 'bench-no-exfil', on: ['reads:secret'], block: ['writes:external'], window_seconds: 3600 }],
  risk: { scores: { low: 1, medium: 10, high: 50, critical: 200 }, window_seconds: 3600, escalate_at: 1_000_000, deny_at: 1_000_000 },
} as const;

export interface GovernanceRowInput {
  readonly base: string;
  readonly adminToken: string;
  /** an agent whose scope holds `echo` */
  readonly agentToken: string;
  readonly connections: number;
  readonly durationSeconds: number;
  /** the bench's own measurement (warm-up, then the timed run, with RSS) */
  readonly measure: (spec: LoadSpec) => Promise<Omit<Row, 'id' | 'label' | 'target' | 'connections'>>;
}

async function policy(base: string, token: string, method: 'GET' | 'PUT', body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${base}/admin/policy`, {
    method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const out = (await res.json()) as Record<string, unknown>;
  if (res.status !== 200) throw new Error(`bench governance rows: ${method} /admin/policy answered ${res.status} ${JSON.stringify(out).slice(0, 300)}`);
  return out;
}

export async function governanceRows(input: GovernanceRowInput): Promise<Row[]> {
  const spec: LoadSpec = {
    url: `${input.base}/tools/call`, method: 'POST', headers: { authorization: `Bearer ${input.agentToken}` },
    body: JSON.stringify({ tool: 'echo', args: { text: 'hello' } }), connections: input.connections, durationSeconds: input.durationSeconds, expectStatus: 200,
  };
  const original = await policy(input.base, input.adminToken, 'GET');
  const rules = original['rules'];
  if (original['taint'] !== undefined || original['risk'] !== undefined) throw new Error('bench governance rows: the bench policy must start without session rules');
  // plain, governed, governed, plain: a drift of the machine over the four runs weighs on both sides alike
  type Measured = Awaited<ReturnType<GovernanceRowInput['measure']>>;
  const runs: { plain: Measured[]; governed: Measured[] } = { plain: [], governed: [] };
  try {
    for (const variant of ['plain', 'governed', 'governed', 'plain'] as const) {
      await policy(input.base, input.adminToken, 'PUT', variant === 'plain' ? { rules } : { rules, ...GOVERNED_RULES });
      runs[variant].push(await input.measure(spec));
    }
  } finally {
    await policy(input.base, input.adminToken, 'PUT', { rules });
  }
  const mean = (m: readonly Measured[]): Measured => ({
    ...m[0]!, reqPerSec: m.reduce((a, r) => a + r.reqPerSec, 0) / m.length, p50Ms: m.reduce((a, r) => a + r.p50Ms, 0) / m.length,
    p99Ms: m.reduce((a, r) => a + r.p99Ms, 0) / m.length,
  });
  const plain = mean(runs.plain);
  const governed = mean(runs.governed);
  const ratio = governed.reqPerSec / plain.reqPerSec;
  const cost = 100 * (1 - ratio);
  return [
    { id: 'echo-plain-pair', label: 'echo, plain policy (pair with the next row)', target: 'gateway', connections: input.connections, ...plain,
      note: 'POST /tools/call echo with the bench policy (rules only); runs in the order plain, governed, governed, plain, each row the mean of its two runs' },
    { id: 'echo-governed', label: 'echo with taint+risk rules active and receipts', target: 'gateway', connections: input.connections, ...governed,
      note: `the same agent and body with a taint rule and a risk budget in the policy (session summary read and risk summed per call); `
        + `${ratio.toFixed(3)}x req/s of the plain row (${cost.toFixed(1)}% cost, target ≤ 10%), p50 ${governed.p50Ms.toFixed(2)} vs ${plain.p50Ms.toFixed(2)} ms` },
  ];
}
