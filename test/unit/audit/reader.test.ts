import assert from 'node:assert/strict';
import { appendFileSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { openAudit, toCsv, type AuditEntry } from '../../../agent-gateway/audit/index.ts';
import { csvCell } from '../../../agent-gateway/audit/csv.ts';
import { capturingLogger, logPath, readLines, tempDataDir, writeLines } from '../../support/audit-fixtures.ts';

async function seeded(t: { after(fn: () => Promise<void>): void }) {
  const dataDir = tempDataDir(t);
  const audit = openAudit({ dataDir, logger: capturingLogger() });
  t.after(() => audit.close());
  await audit.log.append({ type: 'auth.login', actor: 'user:alice', outcome: 'ok' });
  await audit.log.append({ type: 'auth.login', actor: 'user:bob', outcome: 'denied' });
  await audit.log.append({ type: 'tool.call', actor: 'agent:a1', outcome: 'ok', requestId: 'r-1', data: { tool: 'js.eval' } });
  await audit.log.append({ type: 'authz.check', actor: 'agent:a1', outcome: 'ok' });
  await audit.log.append({ type: 'policy.update', actor: 'admin:root', outcome: 'ok' });
  return { dataDir, audit };
}

test('reads decrypted entries in seq order with the event fields', async (t) => {
  const { audit } = await seeded(t);
  const entries = await audit.read({ limit: 100 });
  assert.deepEqual(entries.map((e) => e.seq), [1, 2, 3, 4, 5]);
  assert.deepEqual(entries[2], {
    seq: 3, ts: entries[2]?.ts, type: 'tool.call', actor: 'agent:a1', outcome: 'ok', request_id: 'r-1', data: { tool: 'js.eval' },
  });
});

test('filters by event type (exact or dotted prefix), actor, after_seq and limit', async (t) => {
  const { audit } = await seeded(t);
  assert.deepEqual((await audit.read({ event: 'auth', limit: 100 })).map((e) => e.seq), [1, 2]);
  assert.deepEqual((await audit.read({ event: 'auth.login', actor: 'user:bob', limit: 100 })).map((e) => e.seq), [2]);
  assert.deepEqual((await audit.read({ actor: 'agent:a1', limit: 100 })).map((e) => e.seq), [3, 4]);
  assert.deepEqual((await audit.read({ after_seq: 3, limit: 100 })).map((e) => e.seq), [4, 5]);
  assert.deepEqual((await audit.read({ after_seq: 1, limit: 2 })).map((e) => e.seq), [2, 3]);
});

test('filters by since and until on the line timestamp', async (t) => {
  const { audit } = await seeded(t);
  const all = await audit.read({ limit: 100 });
  const t0 = Date.parse(all[0]?.ts ?? '');
  assert.equal((await audit.read({ since: t0, limit: 100 })).length, 5);
  assert.equal((await audit.read({ until: t0 - 1, limit: 100 })).length, 0);
  assert.equal((await audit.read({ since: Date.now() + 60_000, limit: 100 })).length, 0);
});

test('ignores a torn final segment instead of failing the read', async (t) => {
  const { audit, dataDir } = await seeded(t);
  appendFileSync(logPath(dataDir), '{"v":1,"seq":6');
  assert.equal((await audit.read({ limit: 100 })).length, 5);
});

test('an edited line makes the read fail with AUDIT_ERR_UNREADABLE naming the seq, never returning garbage', async (t) => {
  const { audit, dataDir } = await seeded(t);
  const lines = readLines(logPath(dataDir));
  const line = JSON.parse(lines[2] ?? '');
  line.tag = Buffer.alloc(16).toString('base64');
  lines[2] = JSON.stringify(line);
  writeLines(logPath(dataDir), lines);
  await assert.rejects(audit.read({ limit: 100 }), (e: { code?: string; message?: string }) => e.code === 'AUDIT_ERR_UNREADABLE' && /seq 3/.test(e.message ?? ''));
});

test('CSV output follows RFC 4180 quoting with CRLF rows', () => {
  const entries: AuditEntry[] = [
    { seq: 1, ts: '2026-01-01T00:00:00.000Z', type: 'tool.call', actor: 'agent:a,b', outcome: 'ok', data: { note: 'say "hi"\nbye' } },
  ];
  const csv = toCsv(entries);
  const [header, row, end] = csv.split('\r\n');
  assert.equal(header, 'seq,ts,type,actor,outcome,subject,subject_erased,request_id,data');
  assert.equal(row, '1,2026-01-01T00:00:00.000Z,tool.call,"agent:a,b",ok,,,,"{""note"":""say \\""hi\\""\\nbye""}"');
  assert.equal(end, '');
});

test('CSV neutralizes spreadsheet formulas by prefixing = + - @ cells with a quote', () => {
  assert.equal(csvCell('=HYPERLINK("http://x")'), `"'=HYPERLINK(""http://x"")"`);
  assert.equal(csvCell('+1+1'), "'+1+1");
  assert.equal(csvCell('-2'), "'-2");
  assert.equal(csvCell('@SUM(A1)'), "'@SUM(A1)");
  assert.equal(csvCell('\t=1'), "'\t=1");
  assert.equal(csvCell('plain'), 'plain');
  const csv = toCsv([{ seq: 2, ts: '2026-01-01T00:00:00.000Z', type: 't', actor: '=cmd|/c calc', outcome: 'ok' }]);
  assert.match(csv, /,'=cmd\|\/c calc,/);
});

test('the sink resolves only after the event line is on disk', async (t) => {
  const dataDir = tempDataDir(t);
  const audit = openAudit({ dataDir, logger: capturingLogger() });
  t.after(() => audit.close());
  await audit.sink.record({ type: 'auth.logout', actor: 'user:alice', outcome: 'ok' });
  assert.equal(readFileSync(logPath(dataDir), 'utf8').split('\n').length, 2);
  assert.equal((await audit.read({ limit: 10 }))[0]?.type, 'auth.logout');
});

test('resuming from a returned position reads the same entries as a full scan, and a stale position falls back', async (t) => {
  const { audit } = await seeded(t);
  const { readEntriesFrom } = await import('../../../agent-gateway/audit/reader.ts');
  const firstPage = await readEntriesFrom(audit.source, { limit: 2 });
  assert.deepEqual(firstPage.entries.map((e) => e.seq), [1, 2]);
  assert.ok(firstPage.position);
  const resumed = await readEntriesFrom(audit.source, { after_seq: 2, limit: 10 }, firstPage.position);
  assert.deepEqual(resumed.entries, await audit.read({ after_seq: 2, limit: 10 }));
  const stale = await readEntriesFrom(audit.source, { after_seq: 2, limit: 10 }, { seq: 2, offset: 7 });
  assert.deepEqual(stale.entries.map((e) => e.seq), [3, 4, 5]);
});
