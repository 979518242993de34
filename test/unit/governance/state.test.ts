// Session state is exact whatever the volume (issue 14): a principal that runs many harmless
// calls after a tainting or a high-risk one must not wash it out of what the decision reads.
// Real sqlite (the gateway's migrations), the real admission function, 10,000+ rows.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { test } from 'node:test';
import { GovernanceState } from '../../../agent-gateway/governance/state.ts';
import { summarize, type SessionCall, type SummaryWindows } from '../../../agent-gateway/policy/session.ts';
import { MIGRATIONS } from '../../../agent-gateway/migrations.ts';
import { openDatabase } from '../../../agent-gateway/store/db.ts';
import { admit } from '../../../agent-gateway/tools/admission.ts';
import { admissionFixture } from '../tools/admission-fixture.ts';

const NOW = 1_800_000_000_000;
/** more harmless calls than any cap a history read could have had (it was 10,000 rows) */
const WASH = 12_000;

function setup(t: { after: (fn: () => void) => void }, raw: unknown) {
  let governance: GovernanceState | undefined;
  const { deps, db } = admissionFixture(t, {
    policy: raw, migrations: MIGRATIONS, now: NOW,
    breaker: { threshold: 1_000, windowMs: 60_000, cooldownMs: 45_000 }, rate: { capacity: 1_000, refillPerSecond: 1_000 },
    governance: (open) => (governance = new GovernanceState(open)),
  });
  assert.ok(governance !== undefined);
  const state = governance;
  /** one js.eval (exec:code, high) at NOW - 100 s, then WASH echo calls (no tags, low) after it */
  const washAfterOneEval = (principal: string) => {
    db.exec('BEGIN');
    state.record({ principal, agent_id: principal, call_id: 'call_eval', tool: 'js.eval', tags: ['exec:code'], risk: 'high', ts: NOW - 100_000 });
    for (let i = 0; i < WASH; i++) {
      state.record({ principal, agent_id: principal, call_id: `call_echo_${i}`, tool: 'echo', tags: [], risk: 'low', ts: NOW - 90_000 + i });
    }
    db.exec('COMMIT');
  };
  return { deps, washAfterOneEval };
}

const evalCall = (agentId: string) => ({ agentId, scope: ['*'], body: { tool: 'js.eval', args: { code: 'return 1;' } }, mode: 'call' as const });

test('taint: a tainting call followed by more harmless calls than any read cap still blocks (names the tainting call)', (t) => {
  const { deps, washAfterOneEval } = setup(t, {
    rules: [{ id: 'allow-all', effect: 'allow', agents: ['*'], tools: ['*'] }],
    taint: [{ id: 'one-eval-an-hour', on: ['exec:code'], block: ['exec:code'], window_seconds: 3_600 }],
  });
  washAfterOneEval('bot');
  const a = admit(deps, evalCall('bot'));
  assert.equal(a.kind, 'deny', `${a.kind} ${a.ruleId}`);
  assert.equal(a.kind === 'deny' ? a.ruleId : undefined, 'one-eval-an-hour');
  assert.equal(a.kind === 'deny' ? a.taintedBy : undefined, 'call_eval');
  // control: another principal with the same volume but no eval is not tainted
  const other = admit(deps, evalCall('other'));
  assert.equal(other.kind, 'allow', `${other.kind} ${other.ruleId}`);
});

test('risk: a high-risk call followed by more zero-score calls than any read cap still counts towards deny_at', (t) => {
  const { deps, washAfterOneEval } = setup(t, {
    rules: [{ id: 'allow-all', effect: 'allow', agents: ['*'], tools: ['*'] }],
    risk: { scores: { low: 0, medium: 1, high: 10, critical: 20 }, window_seconds: 3_600, escalate_at: 15, deny_at: 15 },
  });
  washAfterOneEval('bot');
  const a = admit(deps, evalCall('bot')); // 10 already + 10 = 20 > 15
  assert.equal(a.kind, 'deny', `${a.kind} ${a.ruleId}`);
  assert.equal(a.kind === 'deny' ? a.ruleId : undefined, 'risk:deny');
  assert.equal(a.kind === 'deny' ? a.risk?.score : undefined, 10);
  const other = admit(deps, evalCall('other')); // 0 + 10 = 10, not past 15
  assert.equal(other.kind, 'allow', `${other.kind} ${other.ruleId}`);
});

/** Governance state over the gateway's migrations in a temporary data dir, removed after the test. */
function freshState(t: { after: (fn: () => void) => void }): { db: DatabaseSync; state: GovernanceState } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'palisade-gov-'));
  const db = openDatabase(dir, MIGRATIONS);
  t.after(() => {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return { db, state: new GovernanceState(db) };
}

test('the sqlite summary gives the same answers as summarize() over the same calls (random tags, levels, principals and ties; every window)', (t) => {
  const { db, state } = freshState(t);
  const TAGS = ['reads:secret', 'writes:external', 'exec:code', 'net:egress'];
  const LEVELS = ['low', 'medium', 'high', 'critical'] as const;
  let seed = 7;
  const rnd = (n: number) => { seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648; return seed % n; };
  const p: SessionCall[] = [];
  db.exec('BEGIN');
  for (let i = 0; i < 2_000; i++) {
    const tags = TAGS.filter(() => rnd(4) === 0);
    const c: SessionCall = { call_id: `c${i}`, tool: `t${rnd(5)}`, tags, risk: LEVELS[rnd(4)] ?? 'low', ts: NOW - 7_200_000 + i * 3_600 + rnd(3) * 1_000 };
    const principal = rnd(3) === 0 ? 'other' : 'p';
    if (principal === 'p') p.push(c);
    state.record({ ...c, principal, agent_id: 'x' });
  }
  db.exec('COMMIT');
  for (const back of [1_000, 60_000, 600_000, 3_600_000, 7_200_001]) {
    const w: SummaryWindows = { tagsSinceMs: NOW - back, riskSinceMs: NOW - back, riskLevels: ['medium', 'critical'] };
    const fromDb = state.summary('p', w);
    const fromList = summarize(p, w);
    assert.deepEqual(fromDb.riskCounts, fromList.riskCounts, `risk counts, ${back} ms back`);
    assert.deepEqual(new Map([...fromDb.newestByTag].map(([k, v]) => [k, v.ts])), new Map([...fromList.newestByTag].map(([k, v]) => [k, v.ts])), `newest per tag, ${back} ms back`);
  }
  assert.equal(state.summary('nobody', { tagsSinceMs: 0, riskSinceMs: 0 }).newestByTag.size, 0);
});

test('migration governance-002 fills the newest call per tag from the rows an older gateway wrote', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'palisade-gov-migrate-'));
  const older = MIGRATIONS.filter((m) => m.id !== 'governance-002-summary');
  assert.equal(older.length, MIGRATIONS.length - 1);
  let db = openDatabase(dir, older);
  const put = db.prepare('INSERT INTO governance_calls (principal, call_id, agent_id, tool, tags, risk, ts) VALUES (?, ?, ?, ?, ?, ?, ?)');
  put.run('p', 'c1', 'p', 'vault.read', '["reads:secret"]', 'high', NOW - 5_000);
  put.run('p', 'c2', 'p', 'vault.read', '["reads:secret","exec:code"]', 'low', NOW - 4_000);
  put.run('p', 'c3', 'p', 'echo', '[]', 'low', NOW - 3_000);
  put.run('q', 'c4', 'q', 'bad', 'not json', 'low', NOW - 2_000);
  db.close();
  db = openDatabase(dir, MIGRATIONS);
  t.after(() => {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const s = new GovernanceState(db).summary('p', { tagsSinceMs: NOW - 60_000, riskSinceMs: NOW - 60_000 });
  assert.deepEqual(Object.fromEntries(s.newestByTag), {
    'reads:secret': { call_id: 'c2', tool: 'vault.read', ts: NOW - 4_000 },
    'exec:code': { call_id: 'c2', tool: 'vault.read', ts: NOW - 4_000 },
  });
  assert.deepEqual(s.riskCounts, { low: 2, medium: 0, high: 1, critical: 0 });
  assert.equal(new GovernanceState(db).summary('q', { tagsSinceMs: 0 }).newestByTag.size, 0, 'a row with unreadable tags marks nothing');
});

test('a call recorded while the clock is set back is kept at the newest time already there (it stays in its windows: fail closed)', (t) => {
  const { state } = freshState(t);
  state.record({ principal: 'p', agent_id: 'p', call_id: 'now', tool: 'echo', tags: [], risk: 'high', ts: NOW });
  state.record({ principal: 'p', agent_id: 'p', call_id: 'back', tool: 'vault.read', tags: ['reads:secret'], risk: 'high', ts: NOW - 3_600_000 });
  const s = state.summary('p', { tagsSinceMs: NOW - 60_000, riskSinceMs: NOW - 60_000, riskLevels: ['high'] });
  assert.equal(s.riskCounts.high, 2, 'both count in a one-minute window');
  assert.deepEqual(s.newestByTag.get('reads:secret'), { call_id: 'back', tool: 'vault.read', ts: NOW });
});
