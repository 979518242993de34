import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync, statSync } from 'node:fs';
import { test } from 'node:test';
import { openAudit } from '../../../agent-gateway/audit/index.ts';
import { loadAuditKeyring } from '../../../agent-gateway/audit/keys.ts';
import { loadSigningPublicKey } from '../../../agent-gateway/audit/signing.ts';
import { verifyAudit } from '../../../agent-gateway/audit/verify.ts';
import type { StoredEvent } from '../../../agent-gateway/events.ts';
import { capturingLogger, checkpointsPath, logPath, readLines, tempDataDir } from '../../support/audit-fixtures.ts';

const event = (i: number): StoredEvent => ({ type: 'tool.call', actor: 'agent:a1', outcome: 'ok', data: { tool: 'js.eval', i } });

test('append resolves with consecutive seqs and writes {v,seq,ts,kid,iv,ct,tag,prev} lines chained by sha256', async (t) => {
  const dataDir = tempDataDir(t);
  const audit = openAudit({ dataDir, logger: capturingLogger() });
  t.after(() => audit.close());
  const seqs = [];
  for (let i = 0; i < 3; i += 1) seqs.push((await audit.log.append(event(i))).seq);
  assert.deepEqual(seqs, [1, 2, 3]);
  const lines = readLines(logPath(dataDir));
  assert.equal(lines.length, 3);
  let prev = '0'.repeat(64);
  const ivs = new Set<string>();
  for (const [i, text] of lines.entries()) {
    const line = JSON.parse(text);
    assert.deepEqual(Object.keys(line), ['v', 'seq', 'ts', 'kid', 'iv', 'ct', 'tag', 'prev']);
    assert.equal(line.v, 1);
    assert.equal(line.seq, i + 1);
    assert.equal(line.kid, audit.log.keyring.current);
    assert.equal(Buffer.from(line.iv, 'base64').length, 12);
    assert.equal(Buffer.from(line.tag, 'base64').length, 16);
    assert.equal(line.prev, prev);
    prev = createHash('sha256').update(text).digest('hex');
    ivs.add(line.iv);
  }
  assert.equal(ivs.size, 3);
  assert.doesNotMatch(readFileSync(logPath(dataDir), 'utf8'), /js\.eval|agent:a1|tool\.call/);
});

test('audit files are 0600 in a 0700 directory', async (t) => {
  const dataDir = tempDataDir(t);
  const audit = openAudit({ dataDir, logger: capturingLogger(), checkpointEvery: 1 });
  await audit.log.append(event(0));
  await audit.close();
  assert.equal(statSync(logPath(dataDir)).mode & 0o777, 0o600);
  assert.equal(statSync(checkpointsPath(dataDir)).mode & 0o777, 0o600);
  assert.equal(statSync(`${dataDir}/audit`).mode & 0o777, 0o700);
});

test('concurrent appends are group-committed into fewer fsync batches, each resolving its own seq', async (t) => {
  const dataDir = tempDataDir(t);
  const audit = openAudit({ dataDir, logger: capturingLogger() });
  t.after(() => audit.close());
  let batches = 0;
  audit.log.onAppend(() => { batches += 1; });
  const results = await Promise.all(Array.from({ length: 200 }, (_, i) => audit.log.append(event(i))));
  assert.deepEqual(results.map((r) => r.seq).sort((a, b) => a - b), Array.from({ length: 200 }, (_, i) => i + 1));
  assert.ok(batches < 200, `expected batching, got ${batches} batches`);
  const read = await audit.read({ limit: 1000 });
  assert.equal(read.length, 200);
  for (const [i, e] of read.entries()) assert.equal(e.seq, i + 1);
  // each promise resolved with the seq of its own event
  assert.deepEqual(read.map((e) => e.data?.['i']), results.map((_, i) => i).sort((a, b) => (results[a]?.seq ?? 0) - (results[b]?.seq ?? 0)));
});

test('reopening recovers seq and chain from the last line and keeps verifying', async (t) => {
  const dataDir = tempDataDir(t);
  const first = openAudit({ dataDir, logger: capturingLogger() });
  await first.log.append(event(1));
  await first.log.append(event(2));
  await first.close();
  const second = openAudit({ dataDir, logger: capturingLogger() });
  t.after(() => second.close());
  assert.equal(second.log.lastSeq(), 2);
  assert.equal((await second.log.append(event(3))).seq, 3);
  const result = await second.verify();
  assert.equal(result.ok, true);
  assert.equal(result.entries, 3);
});

test('writes an Ed25519-signed checkpoint every N lines to checkpoints.jsonl', async (t) => {
  const dataDir = tempDataDir(t);
  const audit = openAudit({ dataDir, logger: capturingLogger(), checkpointEvery: 2 });
  t.after(() => audit.close());
  for (let i = 0; i < 5; i += 1) await audit.log.append(event(i));
  const cps = readLines(checkpointsPath(dataDir)).map((l) => JSON.parse(l));
  assert.deepEqual(cps.map((c) => c.seq), [2, 4]);
  const line4 = readLines(logPath(dataDir))[3] ?? '';
  assert.equal(cps[1].head, createHash('sha256').update(line4).digest('hex'));
  const result = await audit.verify();
  assert.equal(result.ok, true);
  assert.equal(result.last_checkpoint?.seq, 4);
});

test('writes a checkpoint after T milliseconds when lines were added', async (t) => {
  const dataDir = tempDataDir(t);
  const audit = openAudit({ dataDir, logger: capturingLogger(), checkpointEvery: 1000, checkpointIntervalMs: 50 });
  t.after(() => audit.close());
  await audit.log.append(event(1));
  for (let i = 0; i < 100 && !(existsSync(checkpointsPath(dataDir)) && readLines(checkpointsPath(dataDir)).length > 0); i += 1) {
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.deepEqual(readLines(checkpointsPath(dataDir)).map((l) => JSON.parse(l).seq), [1]);
});

test('rejects an invalid event with AUDIT_ERR_EVENT_INVALID and writes nothing', async (t) => {
  const dataDir = tempDataDir(t);
  const audit = openAudit({ dataDir, logger: capturingLogger() });
  t.after(() => audit.close());
  await assert.rejects(audit.log.append({ type: '', actor: 'x', outcome: 'ok' }), { code: 'AUDIT_ERR_EVENT_INVALID' });
  await assert.rejects(audit.log.append({ type: 't', actor: 'x', outcome: 'maybe' as 'ok' }), { code: 'AUDIT_ERR_EVENT_INVALID' });
  await assert.rejects(audit.log.append({ type: 't', actor: 'x', outcome: 'ok', data: { big: 'x'.repeat(300 * 1024) } }), { code: 'AUDIT_ERR_EVENT_TOO_LARGE' });
  assert.equal(readFileSync(logPath(dataDir), 'utf8'), '');
});

test('a torn final line is reported by verify, moved aside at open, and appends continue', async (t) => {
  const dataDir = tempDataDir(t);
  const first = openAudit({ dataDir, logger: capturingLogger() });
  await first.log.append(event(1));
  await first.log.append(event(2));
  await first.close();
  const partial = '{"v":1,"seq":3,"ts":"2026-01-0';
  appendFileSync(logPath(dataDir), partial);
  const before = verifyFilesOnly(dataDir);
  assert.equal(before.ok, true);
  assert.equal(before.torn_tail?.bytes, partial.length);
  const logger = capturingLogger();
  const second = openAudit({ dataDir, logger });
  t.after(() => second.close());
  assert.equal(second.log.tornTail?.bytes, partial.length);
  assert.equal(readFileSync(second.log.tornTail?.moved_to ?? '', 'utf8'), partial);
  assert.ok(logger.warnings.some((w) => /torn/.test(w.message)));
  assert.equal((await second.log.append(event(3))).seq, 3);
  const result = await second.verify();
  assert.equal(result.ok, true);
  assert.equal(result.entries, 3);
  assert.equal(result.torn_tail?.bytes, partial.length);
});

function verifyFilesOnly(dataDir: string): ReturnType<typeof verifyAudit> {
  const keys = loadAuditKeyring({ dataDir, logger: capturingLogger() }).keys;
  const publicKey = loadSigningPublicKey(dataDir);
  assert.ok(publicKey);
  return verifyAudit({ log: readFileSync(logPath(dataDir)), checkpoints: readFileSync(checkpointsPath(dataDir)), keys, publicKey });
}

test('a garbage line appended to the log is moved aside at open and the chain continues from the last good line (no fresh chain)', async (t) => {
  const dataDir = tempDataDir(t);
  const first = openAudit({ dataDir, logger: capturingLogger() });
  await first.log.append(event(1));
  await first.close();
  appendFileSync(logPath(dataDir), '{"not":"a line"}\n');
  const logger = capturingLogger();
  const again = openAudit({ dataDir, logger });
  t.after(() => again.close());
  assert.equal(again.log.garbageTail?.lines, 1);
  assert.equal(readFileSync(again.log.garbageTail?.moved_to ?? '', 'utf8'), '{"not":"a line"}\n');
  assert.ok(logger.warnings.some((w) => /not audit lines; moved aside/.test(w.message)));
  assert.deepEqual(await again.log.append(event(2)), { seq: 2 }, 'seq continues: not a fresh chain');
  assert.equal((await again.verify()).ok, true);
});

test('more garbage than GARBAGE_MAX_LINES at the tail stops the open with AUDIT_ERR_CORRUPT_TAIL and the repair steps', async (t) => {
  const dataDir = tempDataDir(t);
  const first = openAudit({ dataDir, logger: capturingLogger() });
  await first.log.append(event(1));
  await first.close();
  appendFileSync(logPath(dataDir), 'junk\n'.repeat(1001));
  assert.throws(() => openAudit({ dataDir, logger: capturingLogger() }), (e: Error & { code?: string }) =>
    e.code === 'AUDIT_ERR_CORRUPT_TAIL' && /palisade audit verify/.test(e.message) && /move the file out of the audit directory/.test(e.message));
});

test('refuses an audit file that is a symlink', async (t) => {
  const dataDir = tempDataDir(t);
  const { mkdirSync, symlinkSync, writeFileSync } = await import('node:fs');
  mkdirSync(`${dataDir}/audit`, { mode: 0o700 });
  writeFileSync(`${dataDir}/elsewhere`, '');
  symlinkSync(`${dataDir}/elsewhere`, logPath(dataDir));
  assert.throws(() => openAudit({ dataDir, logger: capturingLogger() }), { code: 'ELOOP' });
});

test('close waits for queued appends to become durable, then refuses new ones with AUDIT_ERR_CLOSED', async (t) => {
  const dataDir = tempDataDir(t);
  const audit = openAudit({ dataDir, logger: capturingLogger() });
  const queued = Array.from({ length: 20 }, (_, i) => audit.log.append(event(i)));
  await audit.close();
  assert.equal((await Promise.all(queued)).length, 20);
  assert.equal(readLines(logPath(dataDir)).length, 20);
  await assert.rejects(audit.log.append(event(99)), { code: 'AUDIT_ERR_CLOSED' });
});

test('verify during a burst of in-flight appends checks only durable lines and passes', async (t) => {
  const dataDir = tempDataDir(t);
  const audit = openAudit({ dataDir, logger: capturingLogger(), checkpointEvery: 7 });
  t.after(() => audit.close());
  const inflight = Array.from({ length: 300 }, (_, i) => audit.log.append(event(i)));
  const results = [];
  for (let i = 0; i < 5; i += 1) results.push(await audit.verify());
  await Promise.all(inflight);
  results.push(await audit.verify());
  for (const r of results) {
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.equal(r.torn_tail, undefined);
  }
  assert.equal(results.at(-1)?.entries, 300);
});

test('a torn tail larger than the scan chunk is moved aside intact', async (t) => {
  const dataDir = tempDataDir(t);
  const first = openAudit({ dataDir, logger: capturingLogger() });
  await first.log.append(event(1));
  await first.close();
  const partial = `{"v":1,"seq":2,"ts":"${'z'.repeat(200 * 1024)}`;
  appendFileSync(logPath(dataDir), partial);
  const second = openAudit({ dataDir, logger: capturingLogger() });
  t.after(() => second.close());
  assert.equal(second.log.tornTail?.bytes, partial.length);
  assert.equal(readFileSync(second.log.tornTail?.moved_to ?? '', 'utf8'), partial);
  assert.equal(statSync(second.log.tornTail?.moved_to ?? '').mode & 0o777, 0o600);
  assert.equal((await second.log.append(event(2))).seq, 2);
  assert.equal((await second.verify()).ok, true);
});
