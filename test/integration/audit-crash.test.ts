import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { openAudit } from '../../agent-gateway/audit/index.ts';
import { capturingLogger, tempDataDir } from '../support/audit-fixtures.ts';

const CHILD = join(import.meta.dirname, '..', 'support', 'audit-crash-child.ts');

test('after SIGKILL mid-burst every acknowledged append is present, decryptable and the log verifies', { timeout: 120_000 }, async (t) => {
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
      if (out.split('\n').length > 400) resolve(); // mid-burst: the appenders are still running
    });
  });
  child.kill('SIGKILL');
  assert.equal(await exited, 'SIGKILL');

  const acked = out.split('\n').slice(1, -1).map((l) => l.split(' ').map(Number));
  assert.ok(acked.length >= 300, `only ${acked.length} acknowledged`);
  const audit = openAudit({ dataDir, logger: capturingLogger() });
  t.after(() => audit.close());
  const entries = await audit.read({ limit: 10_000 });
  const bySeq = new Map(entries.map((e) => [e.seq, e]));
  for (const [seq, worker, n] of acked) {
    const e = bySeq.get(seq ?? -1);
    assert.ok(e, `acknowledged seq ${seq} missing after crash`);
    assert.equal(e.type, 'crash.test');
    assert.deepEqual(e.data, { worker, n });
  }
  const result = await audit.verify();
  assert.equal(result.ok, true, JSON.stringify(result));
  assert.ok(result.entries >= acked.length);
  assert.equal((await audit.log.append({ type: 'after.crash', actor: 'system', outcome: 'ok' })).seq, result.entries + 1);
});
