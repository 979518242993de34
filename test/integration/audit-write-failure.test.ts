import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { openAudit } from '../../agent-gateway/audit/index.ts';
import { capturingLogger, tempDataDir } from '../support/audit-fixtures.ts';

const CHILD = join(import.meta.dirname, '..', 'support', 'audit-fsize-child.ts');

test('a real write failure (file size limit) rejects the append, fires the failure hook and leaves a verifiable log', { timeout: 120_000 }, async (t) => {
  const dataDir = tempDataDir(t);
  // 64 blocks: a few dozen lines fit, then write() fails with EFBIG
  const child = spawn('/bin/sh', ['-c', 'ulimit -f 64; exec "$0" "$@"', process.execPath, CHILD, dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  assert.equal(code, 0, err);
  const report = JSON.parse(out.trim()) as { acked: number[]; code: string; hooks: string[]; again: string };
  assert.equal(report.code, 'AUDIT_ERR_WRITE_FAILED');
  assert.ok(report.hooks.includes('AUDIT_ERR_WRITE_FAILED'));
  assert.ok(report.again === 'ok' || report.again === 'AUDIT_ERR_WRITE_FAILED', report.again);
  assert.ok(report.acked.length > 0);

  const audit = openAudit({ dataDir, logger: capturingLogger() });
  t.after(() => audit.close());
  const entries = await audit.read({ limit: 10_000 });
  // exactly the acknowledged lines survive: the failed batch left nothing behind
  assert.deepEqual(entries.map((e) => e.seq), report.acked.slice().sort((a, b) => a - b));
  assert.ok(entries.every((e) => e.type === 'fill' || e.type === 'again'));
  const result = await audit.verify();
  assert.equal(result.ok, true, JSON.stringify(result));
  assert.equal(result.entries, report.acked.length);
});
