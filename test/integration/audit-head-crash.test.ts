/**
 * The sqlite head under SIGKILL mid-burst: it covers every acknowledged append (it is written
 * before the ack) and never names a seq beyond the durable log, so the restart records no
 * incident and verify, compared with the head, passes.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { AUDIT_MIGRATIONS, createHeadStore, openAudit } from '../../agent-gateway/audit/index.ts';
import { openDatabase } from '../../agent-gateway/store/db.ts';
import { capturingLogger, logPath, readLines, tempDataDir } from '../support/audit-fixtures.ts';

const CHILD = join(import.meta.dirname, '..', 'support', 'audit-head-crash-child.ts');

test('after SIGKILL mid-burst the head covers every acknowledged append, is not beyond the log, and the restart finds no damage', { timeout: 120_000 }, async (t) => {
  const dataDir = tempDataDir(t);
  const child = spawn(process.execPath, [CHILD, dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); });
  let out = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  await new Promise<void>((resolve, reject) => {
    child.on('exit', () => reject(new Error(`child exited early: ${stderr}`)));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.split('\n').length > 400) resolve();
    });
  });
  child.kill('SIGKILL');
  assert.equal(await exited, 'SIGKILL');
  const acked = out.split('\n').slice(1, -1).map(Number);
  const maxAcked = Math.max(...acked);

  const db = openDatabase(dataDir, AUDIT_MIGRATIONS);
  t.after(() => db.close());
  const head = createHeadStore(db).get();
  assert.ok(head);
  const lastInFile = (JSON.parse(readLines(logPath(dataDir)).at(-1) ?? '{}') as { seq: number }).seq;
  assert.ok(head.seq >= maxAcked, `head ${head.seq} covers the last acknowledged seq ${maxAcked}`);
  assert.ok(head.seq <= lastInFile, `head ${head.seq} is not beyond the log's last line ${lastInFile}`);

  const audit = openAudit({ dataDir, db, logger: capturingLogger() });
  t.after(() => audit.close());
  assert.deepEqual(audit.log.incidents, [], 'a crash is not damage');
  const r = await audit.verify();
  assert.equal(r.ok, true, JSON.stringify(r));
  assert.equal(r.head?.seq, head.seq);
});
