/**
 * The sqlite head: deleting or truncating audit.jsonl together with checkpoints.jsonl is
 * detected (issue 19 item 6), at verify and at start-up, with the missing range; a forged line
 * with a valid GCM tag but a wrong `prev` is caught by the hash chain (issue 21 item 5).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import type { DatabaseSync } from 'node:sqlite';
import { test } from 'node:test';
import { AUDIT_MIGRATIONS, createHeadStore, openAudit, type AuditService } from '../../../agent-gateway/audit/index.ts';
import { loadAuditKeyring } from '../../../agent-gateway/audit/keys.ts';
import { decryptLine, encodeLine, parseLine } from '../../../agent-gateway/audit/line.ts';
import { verifyAuditLog } from '../../../agent-gateway/audit/reader.ts';
import { loadSigningPublicKey } from '../../../agent-gateway/audit/signing.ts';
import { openDatabase } from '../../../agent-gateway/store/db.ts';
import { capturingLogger, checkpointsPath, logPath, readLines, tempDataDir, writeLines } from '../../support/audit-fixtures.ts';

type Ctx = { after(fn: () => void | Promise<void>): void };

function db(t: Ctx, dataDir: string): DatabaseSync {
  const d = openDatabase(dataDir, AUDIT_MIGRATIONS);
  t.after(() => d.close());
  return d;
}

async function writeLog(t: Ctx, dataDir: string, n: number, every = 1000): Promise<DatabaseSync> {
  const d = db(t, dataDir);
  const audit = openAudit({ dataDir, db: d, logger: capturingLogger(), checkpointEvery: every });
  for (let i = 1; i <= n; i += 1) await audit.log.append({ type: 'auth.login', actor: `user:u${i}`, outcome: 'ok', data: { i } });
  await audit.close();
  return d;
}

/** What the CLI does: verify the files against the sqlite head without opening the writer. */
async function verifyOnly(dataDir: string, d: DatabaseSync | null): ReturnType<AuditService['verify']> {
  const keys = loadAuditKeyring({ dataDir, logger: capturingLogger() }).keys;
  const pub = loadSigningPublicKey(dataDir);
  assert.ok(pub);
  return verifyAuditLog(dataDir, keys, pub, undefined, d === null ? null : createHeadStore(d));
}

test('the head is written with every group commit: seq and the last line hash', async (t) => {
  const dataDir = tempDataDir(t);
  const d = await writeLog(t, dataDir, 5);
  const { createHash } = await import('node:crypto');
  const last = readLines(logPath(dataDir))[4] ?? '';
  assert.deepEqual(createHeadStore(d).get(), { seq: 5, head: createHash('sha256').update(last).digest('hex') });
});

test('audit.jsonl and checkpoints.jsonl deleted: verify is not ok, reason truncated, missing 1..n', async (t) => {
  const dataDir = tempDataDir(t);
  const d = await writeLog(t, dataDir, 12, 5);
  rmSync(logPath(dataDir));
  rmSync(checkpointsPath(dataDir));
  const r = await verifyOnly(dataDir, d);
  assert.equal(r.ok, false);
  assert.equal(r.reason, 'truncated');
  assert.equal(r.code, 'AUDIT_ERR_TAMPERED');
  assert.deepEqual(r.missing, { from: 1, to: 12 });
  assert.equal(r.first_bad_seq, 1);
  // control: without the head (the old behaviour) the empty log looked fine
  assert.equal((await verifyOnly(dataDir, null)).ok, true);
});

test('the last 30 of 152 lines dropped and checkpoints deleted: verify names the range 123..152', async (t) => {
  const dataDir = tempDataDir(t);
  const d = await writeLog(t, dataDir, 152, 50);
  writeLines(logPath(dataDir), readLines(logPath(dataDir)).slice(0, 122));
  rmSync(checkpointsPath(dataDir));
  const r = await verifyOnly(dataDir, d);
  assert.deepEqual({ ok: r.ok, reason: r.reason, missing: r.missing, first_bad_seq: r.first_bad_seq, entries: r.entries },
    { ok: false, reason: 'truncated', missing: { from: 123, to: 152 }, first_bad_seq: 123, entries: 122 });
  assert.match(r.message ?? '', /lines 123\.\.152 are missing/);
});

test('start-up after a truncation records an incident, chains across the gap from the head, and verify keeps failing until acknowledged', async (t) => {
  const dataDir = tempDataDir(t);
  const d = await writeLog(t, dataDir, 40, 10);
  writeLines(logPath(dataDir), readLines(logPath(dataDir)).slice(0, 25));
  rmSync(checkpointsPath(dataDir));
  const logger = capturingLogger();
  const audit = openAudit({ dataDir, db: d, logger });
  t.after(() => audit.close());
  assert.equal(audit.log.incidents.length, 1);
  assert.deepEqual({ reason: audit.log.incidents[0]?.reason, from: audit.log.incidents[0]?.from_seq, to: audit.log.incidents[0]?.to_seq },
    { reason: 'truncated', from: 26, to: 40 });
  assert.deepEqual(await audit.log.append({ type: 'after.restart', actor: 'system', outcome: 'ok' }), { seq: 41 }, 'seq continues after the head');
  let r = await audit.verify();
  assert.deepEqual({ ok: r.ok, reason: r.reason, missing: r.missing }, { ok: false, reason: 'truncated', missing: { from: 26, to: 40 } });
  assert.equal(r.incidents?.length, 1);
  // a restart does not clear it: the incident lives in sqlite
  await audit.close();
  const again = openAudit({ dataDir, db: d, logger: capturingLogger() });
  t.after(() => again.close());
  assert.equal(again.log.incidents.length, 0, 'nothing new found at this start');
  r = await again.verify();
  assert.equal(r.reason, 'truncated');
  assert.equal(createHeadStore(d).acknowledge('all', 'cli', 'restored from backup, lost lines accepted'), 1);
  r = await again.verify();
  assert.equal(r.ok, true, JSON.stringify(r));
  assert.equal(r.incidents?.[0]?.acknowledged?.by, 'cli');
  // the entries after the gap are still chain-checked: an edit there is caught
  await again.close();
  const lines = readLines(logPath(dataDir));
  const forged = JSON.parse(lines.at(-1) ?? '');
  forged.prev = 'f'.repeat(64);
  lines[lines.length - 1] = JSON.stringify(forged);
  writeLines(logPath(dataDir), lines);
  r = await verifyOnly(dataDir, d);
  assert.equal(r.ok, false);
  assert.equal(r.reason, 'chain_mismatch');
  assert.equal(r.first_bad_seq, 41);
});

test('a garbage line appended to the log: start-up moves it aside, records an incident (garbage_tail) and keeps writing', async (t) => {
  const dataDir = tempDataDir(t);
  const d = await writeLog(t, dataDir, 3);
  writeFileSync(logPath(dataDir), '{"v":1,"seq":"garbage"}\n', { flag: 'a' });
  const audit = openAudit({ dataDir, db: d, logger: capturingLogger() });
  t.after(() => audit.close());
  assert.equal(audit.log.incidents[0]?.reason, 'garbage_tail');
  assert.deepEqual(await audit.log.append({ type: 'x', actor: 'system', outcome: 'ok' }), { seq: 4 });
  const r = await audit.verify();
  assert.deepEqual({ ok: r.ok, reason: r.reason, first_bad_seq: r.first_bad_seq }, { ok: false, reason: 'garbage_tail', first_bad_seq: 4 });
  assert.match(r.message ?? '', /moved aside to .*audit\.jsonl\.garbage-/);
});

/** Re-encrypts line `seq` with the real key, changing only `prev` (so its GCM tag is valid). */
function forgePrev(dataDir: string, seq: number, prev: string): void {
  const keys = loadAuditKeyring({ dataDir, logger: capturingLogger() }).keys;
  const lines = readLines(logPath(dataDir));
  const parsed = parseLine(lines[seq - 1] ?? '');
  assert.ok(parsed.ok);
  const dec = decryptLine(parsed.line, keys);
  assert.ok(dec.ok);
  const key = keys.get(parsed.line.kid);
  assert.ok(key);
  lines[seq - 1] = encodeLine(seq, parsed.line.ts, parsed.line.kid, key, prev, dec.payload);
  const check = parseLine(lines[seq - 1] ?? '');
  assert.ok(check.ok && decryptLine(check.line, keys).ok, 'the forged line authenticates under the real key');
  writeLines(logPath(dataDir), lines);
}

test('a forged line with a valid GCM tag but a wrong prev is named at its seq with reason chain_mismatch', async (t) => {
  const dataDir = tempDataDir(t);
  const d = await writeLog(t, dataDir, 10, 1000);
  forgePrev(dataDir, 5, randomBytes(32).toString('hex'));
  for (const state of [d, null]) {
    const r = await verifyOnly(dataDir, state);
    assert.deepEqual({ ok: r.ok, first_bad_seq: r.first_bad_seq, reason: r.reason, code: r.code, entries: r.entries },
      { ok: false, first_bad_seq: 5, reason: 'chain_mismatch', code: 'AUDIT_ERR_TAMPERED', entries: 4 });
  }
});

test('the last line replaced by a different valid line (same seq, re-encrypted): head_mismatch at that seq', async (t) => {
  const dataDir = tempDataDir(t);
  const d = await writeLog(t, dataDir, 6, 1000);
  rmSync(checkpointsPath(dataDir));
  const lines = readLines(logPath(dataDir));
  const keys = loadAuditKeyring({ dataDir, logger: capturingLogger() }).keys;
  const p = parseLine(lines[5] ?? '');
  assert.ok(p.ok);
  const key = keys.get(p.line.kid);
  assert.ok(key);
  lines[5] = encodeLine(6, p.line.ts, p.line.kid, key, p.line.prev, JSON.stringify({ type: 'auth.login', actor: 'user:someone-else', outcome: 'ok' }));
  writeLines(logPath(dataDir), lines);
  const r = await verifyOnly(dataDir, d);
  assert.deepEqual({ ok: r.ok, first_bad_seq: r.first_bad_seq, reason: r.reason }, { ok: false, first_bad_seq: 6, reason: 'head_mismatch' });
});

test('reads across a recorded truncation gap: after_seq cursors (the shipper, tail) use the line seqs, not positions', async (t) => {
  const dataDir = tempDataDir(t);
  const d = await writeLog(t, dataDir, 40, 1000);
  writeLines(logPath(dataDir), readLines(logPath(dataDir)).slice(0, 25));
  const audit = openAudit({ dataDir, db: d, logger: capturingLogger() });
  t.after(() => audit.close());
  for (let i = 0; i < 3; i++) await audit.log.append({ type: 'after.gap', actor: 'system', outcome: 'ok', data: { i } });
  const { readEntriesFrom } = await import('../../../agent-gateway/audit/reader.ts');
  assert.deepEqual((await audit.read({ after_seq: 30, limit: 10 })).map((e) => e.seq), [41, 42, 43]);
  assert.deepEqual((await audit.read({ after_seq: 24, limit: 2 })).map((e) => e.seq), [25, 41]);
  const first = await readEntriesFrom(audit.source, { after_seq: 20, limit: 6 });
  assert.deepEqual(first.entries.map((e) => e.seq), [21, 22, 23, 24, 25, 41]);
  assert.ok(first.position);
  const next = await readEntriesFrom(audit.source, { after_seq: 41, limit: 10 }, first.position);
  assert.deepEqual(next.entries.map((e) => e.seq), [42, 43], 'the resume hint works across the gap');
});

test('a head no writer could produce (edited database) is reported as head_mismatch at open and never adopted', async (t) => {
  const dataDir = tempDataDir(t);
  const d = await writeLog(t, dataDir, 3);
  d.prepare('UPDATE audit_head SET seq = ? WHERE id = 1').run(Number.MAX_SAFE_INTEGER);
  const audit = openAudit({ dataDir, db: d, logger: capturingLogger() });
  t.after(() => audit.close());
  assert.equal(audit.log.incidents[0]?.reason, 'head_mismatch');
  assert.deepEqual(await audit.log.append({ type: 'x', actor: 'system', outcome: 'ok' }), { seq: 4 }, 'the file tail is kept');
});

test('a failed verify fires onDamage once per distinct finding, not once per call', async (t) => {
  const dataDir = tempDataDir(t);
  const d = await writeLog(t, dataDir, 5);
  writeLines(logPath(dataDir), readLines(logPath(dataDir)).slice(0, 3));
  rmSync(checkpointsPath(dataDir));
  const seen: string[] = [];
  const audit = openAudit({ dataDir, db: d, logger: capturingLogger(), onDamage: (r) => seen.push(String(r.reason)) });
  t.after(() => audit.close());
  await audit.verify();
  await audit.verify();
  assert.deepEqual(seen, ['truncated']);
});

test('the file cut while the writer runs: verify names the gap the writer appended past', async (t) => {
  const dataDir = tempDataDir(t);
  const d = db(t, dataDir);
  const audit = openAudit({ dataDir, db: d, logger: capturingLogger() });
  t.after(() => audit.close());
  for (let i = 0; i < 10; i++) await audit.log.append({ type: 'x', actor: 'system', outcome: 'ok', data: { i } });
  writeLines(logPath(dataDir), readLines(logPath(dataDir)).slice(0, 4)); // O_TRUNC under the writer
  await audit.log.append({ type: 'after.cut', actor: 'system', outcome: 'ok' });
  const r = await audit.verify();
  assert.deepEqual({ ok: r.ok, reason: r.reason, first_bad_seq: r.first_bad_seq, missing: r.missing },
    { ok: false, reason: 'seq_mismatch', first_bad_seq: 5, missing: { from: 5, to: 10 } });
});
