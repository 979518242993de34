/**
 * Kills the real gateway process (SIGKILL) in the middle of a burst of tool calls, then reopens
 * its data dir: every call that was acknowledged with a 2xx is in the decrypted audit log, and
 * the log verifies.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openAudit } from '../../agent-gateway/audit/index.ts';
import { MIGRATIONS } from '../../agent-gateway/gateway.ts';
import { silentLogger } from '../../agent-gateway/logger.ts';
import { openDatabase } from '../../agent-gateway/store/db.ts';
import { call, createAgent, loginAdmin } from '../support/gateway.ts';
import { spawnGateway } from '../support/process.ts';

test('SIGKILL during a burst: every 2xx-acknowledged call is in the decrypted audit and verify passes', { timeout: 120_000 }, async () => {
  const gw = await spawnGateway();
  const { base, dataDir, child } = gw;
  try {
    const admin = (await loginAdmin(base)).token;
    const agent = await createAgent(base, admin, 'burst', ['echo']);
    const acked: string[] = [];
    let stop = false;
    let reached: () => void = () => {};
    const enough = new Promise<void>((resolve) => { reached = resolve; });
    const worker = async (w: number): Promise<void> => {
      for (let i = 0; !stop; i++) {
        try {
          const res = await call(base, 'POST', '/tools/call', { token: agent, body: { tool: 'echo', args: { text: `w${w}-${i}` } } });
          if (res.status === 200 && res.body.status === 'ok') acked.push(res.body.call_id);
          if (acked.length >= 150) reached();
        } catch {
          return; // connection reset by the kill
        }
      }
    };
    const workers = Array.from({ length: 8 }, (_, w) => worker(w));
    // the kill happens once 150 calls were acknowledged (an event, not a poll), bounded by a deadline
    let deadline: NodeJS.Timeout | undefined;
    await Promise.race([
      enough,
      Promise.all(workers).then(() => { throw new Error(`every worker stopped after ${acked.length} acknowledged calls:\n${gw.output()}`); }),
      new Promise((_, reject) => { deadline = setTimeout(() => reject(new Error(`only ${acked.length} calls acknowledged within 60 s`)), 60_000); }),
    ]).finally(() => clearTimeout(deadline));
    child.kill('SIGKILL');
    stop = true;
    await Promise.all(workers);
    await gw.exited;
    assert.ok(acked.length >= 150);

    const db = openDatabase(dataDir, MIGRATIONS);
    const audit = openAudit({ dataDir, db, logger: silentLogger });
    try {
      const entries = await audit.read({ event: 'tool.call', limit: 10_000 });
      const logged = new Set(entries.filter((e) => e.outcome === 'ok').map((e) => String(e.data?.['call_id'])));
      const missing = acked.filter((id) => !logged.has(id));
      assert.deepEqual(missing, [], `${missing.length} acknowledged calls are missing from the audit log`);
      const verify = await audit.verify();
      assert.equal(verify.ok, true, JSON.stringify(verify));
    } finally {
      await audit.close();
      db.close();
    }
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});

test('SIGTERM: the gateway stops accepting, finishes the call in flight, flushes and exits 0', { timeout: 120_000 }, async () => {
  const gw = await spawnGateway();
  try {
    const admin = (await loginAdmin(gw.base)).token;
    await call(gw.base, 'PUT', '/admin/policy', { token: admin, body: { rules: [{ id: 'eval', effect: 'allow', agents: ['slow'], tools: ['js.eval'] }] } });
    const agent = await createAgent(gw.base, admin, 'slow', ['js.eval']);
    const inflight = call(gw.base, 'POST', '/tools/call', {
      token: agent, body: { tool: 'js.eval', args: { code: 'const t = Date.now(); while (Date.now() - t < 1500) {} return "done"' } },
    });
    // SIGTERM only once the call is really in flight: the policy allowed it (the allow decision
    // is counted in /metrics; a running call's record lives in memory until it settles, issue 12);
    // bounded polling, not a fixed sleep
    const allowed = async (): Promise<boolean> => {
      const res = await fetch(`${gw.base}/metrics`, { headers: { authorization: `Bearer ${admin}` } });
      return /palisade_policy_decisions_total\{effect="allow"\} [1-9]/.test(await res.text());
    };
    const until = Date.now() + 30_000;
    while (!(await allowed())) {
      assert.ok(Date.now() < until, `the call never started running:\n${gw.output()}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    gw.child.kill('SIGTERM');
    const res = await inflight;
    assert.equal(res.status, 200);
    assert.equal(res.body.result, 'done');
    assert.equal(await gw.exited, 0);
    assert.match(gw.output(), /"msg":"stopped"/);
    await assert.rejects(call(gw.base, 'GET', '/health'));
  } finally {
    if (gw.child.exitCode === null) gw.child.kill('SIGKILL');
  }
});
