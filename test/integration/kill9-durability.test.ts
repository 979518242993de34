/**
 * Durability under load with sqlite at synchronous=NORMAL (issue 12): ten rounds on ONE data
 * dir of "start the real gateway, run 8 connections of echo calls, SIGKILL it mid-burst". After
 * each kill the data dir is reopened: every call the client saw acknowledged (200 ok) is in the
 * decrypted audit log, the log verifies, the database passes integrity_check, and each
 * acknowledged call's record is there, settled (`ok`). The next round starts the gateway on the
 * same files (its start-up audit/head check runs on what the kill left).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openAudit } from '../../agent-gateway/audit/index.ts';
import { MIGRATIONS } from '../../agent-gateway/gateway.ts';
import { silentLogger } from '../../agent-gateway/logger.ts';
import { openDatabase } from '../../agent-gateway/store/db.ts';
import { call, createAgent, loginAdmin, tempDir } from '../support/gateway.ts';
import { spawnGateway } from '../support/process.ts';

const ROUNDS = 10;
const ACKED_BEFORE_KILL = 40;

async function burstAndKill(dataDir: string, round: number): Promise<string[]> {
  const gw = await spawnGateway({ PALISADE_DATA_DIR: dataDir });
  try {
    const admin = (await loginAdmin(gw.base)).token;
    const agent = await createAgent(gw.base, admin, `burst-${round}`, ['echo']);
    const acked: string[] = [];
    let stop = false;
    let reached: () => void = () => {};
    const enough = new Promise<void>((resolve) => { reached = resolve; });
    const worker = async (w: number): Promise<void> => {
      for (let i = 0; !stop; i++) {
        try {
          const res = await call(gw.base, 'POST', '/tools/call', { token: agent, body: { tool: 'echo', args: { text: `r${round}-w${w}-${i}` } } });
          if (res.status === 200 && res.body.status === 'ok') acked.push(String(res.body.call_id));
          if (acked.length >= ACKED_BEFORE_KILL) reached();
        } catch {
          return; // connection reset by the kill
        }
      }
    };
    const workers = Array.from({ length: 8 }, (_, w) => worker(w));
    let deadline: NodeJS.Timeout | undefined;
    await Promise.race([
      enough,
      Promise.all(workers).then(() => { throw new Error(`every worker stopped after ${acked.length} acknowledged calls:\n${gw.output()}`); }),
      new Promise((_, reject) => { deadline = setTimeout(() => reject(new Error(`round ${round}: only ${acked.length} calls acknowledged within 60 s`)), 60_000); }),
    ]).finally(() => clearTimeout(deadline));
    gw.child.kill('SIGKILL'); // mid-burst: 8 calls are in flight
    stop = true;
    await Promise.all(workers);
    await gw.exited;
    return acked;
  } finally {
    if (gw.child.exitCode === null && gw.child.signalCode === null) gw.child.kill('SIGKILL');
  }
}

test(`kill -9 under load, ${ROUNDS} rounds on one data dir: every acknowledged call is in the audit log, verify ok, sqlite intact`, { timeout: 600_000 }, async () => {
  const dataDir = tempDir();
  const all: string[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const acked = await burstAndKill(dataDir, round);
    assert.ok(acked.length >= ACKED_BEFORE_KILL, `round ${round}`);
    all.push(...acked);
    const db = openDatabase(dataDir, MIGRATIONS);
    const audit = openAudit({ dataDir, db, logger: silentLogger });
    try {
      const integrity = db.prepare('PRAGMA integrity_check').get();
      assert.equal(integrity?.['integrity_check'], 'ok', `round ${round}: sqlite integrity`);
      const entries = await audit.read({ event: 'tool.call', limit: 100_000 });
      const logged = new Set(entries.filter((e) => e.outcome === 'ok').map((e) => String(e.data?.['call_id'])));
      const missing = all.filter((id) => !logged.has(id));
      assert.deepEqual(missing, [], `round ${round}: ${missing.length} acknowledged calls are missing from the audit log`);
      const verify = await audit.verify();
      assert.equal(verify.ok, true, `round ${round}: ${JSON.stringify(verify)}`);
      // bookkeeping: a process kill (not a power loss) keeps every committed WAL frame
      const status = db.prepare('SELECT status FROM tool_calls WHERE call_id = ?');
      const unsettled = acked.filter((id) => status.get(id)?.['status'] !== 'ok');
      assert.deepEqual(unsettled, [], `round ${round}: acknowledged calls without a settled record`);
    } finally {
      await audit.close();
      db.close();
    }
  }
  // the gateway starts on what ten kills left (start-up audit head check included)
  const gw = await spawnGateway({ PALISADE_DATA_DIR: dataDir });
  try {
    assert.equal((await call(gw.base, 'GET', '/health')).status, 200);
  } finally {
    gw.child.kill('SIGKILL');
    await gw.exited;
  }
});
