import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { openAudit, type AuditService } from '../../../agent-gateway/audit/index.ts';
import { capturingLogger, checkpointsPath, logPath, readLines, tempDataDir, writeLines } from '../../support/audit-fixtures.ts';

const KEY_A = '11'.repeat(32);
const KEY_B = '22'.repeat(32);

/** A closed log of `n` lines with checkpoints every `every` lines (and one at close). */
async function writeLog(dataDir: string, n: number, every = 1000, configKeyHex?: string): Promise<void> {
  const audit = openAudit({ dataDir, logger: capturingLogger(), checkpointEvery: every, ...(configKeyHex ? { configKeyHex } : {}) });
  for (let i = 1; i <= n; i += 1) await audit.log.append({ type: 'auth.login', actor: `user:u${i}`, outcome: 'ok', data: { i } });
  await audit.close();
}

function reopen(t: { after(fn: () => Promise<void>): void }, dataDir: string, configKeyHex?: string): AuditService {
  const audit = openAudit({ dataDir, logger: capturingLogger(), ...(configKeyHex ? { configKeyHex } : {}) });
  t.after(() => audit.close());
  return audit;
}

/** Verifies via a fresh reader without opening the writer (which would touch the tail). */
async function verifyOnly(dataDir: string, configKeyHex?: string): Promise<Awaited<ReturnType<AuditService['verify']>>> {
  const { verifyAuditLog } = await import('../../../agent-gateway/audit/reader.ts');
  const { loadAuditKeyring } = await import('../../../agent-gateway/audit/keys.ts');
  const { loadSigningPublicKey } = await import('../../../agent-gateway/audit/signing.ts');
  const keys = loadAuditKeyring({ dataDir, logger: capturingLogger(), ...(configKeyHex ? { configKeyHex } : {}) }).keys;
  const pub = loadSigningPublicKey(dataDir);
  assert.ok(pub);
  return verifyAuditLog(dataDir, keys, pub);
}

test('an intact log verifies with its entry count and last checkpoint', async (t) => {
  const dataDir = tempDataDir(t);
  await writeLog(dataDir, 10, 4);
  const r = await verifyOnly(dataDir);
  assert.deepEqual({ ok: r.ok, entries: r.entries, cp: r.last_checkpoint?.seq }, { ok: true, entries: 10, cp: 10 });
});

test('one edited byte of a line ciphertext is named as the first bad seq', async (t) => {
  const dataDir = tempDataDir(t);
  await writeLog(dataDir, 10);
  const lines = readLines(logPath(dataDir));
  const line = JSON.parse(lines[4] ?? '');
  const ct = Buffer.from(line.ct, 'base64');
  ct[0] = (ct[0] ?? 0) ^ 0x01;
  line.ct = ct.toString('base64');
  lines[4] = JSON.stringify(line);
  writeLines(logPath(dataDir), lines);
  const r = await verifyOnly(dataDir);
  assert.equal(r.ok, false);
  assert.equal(r.first_bad_seq, 5);
  assert.equal(r.reason, 'tag_mismatch');
  assert.equal(r.code, 'AUDIT_ERR_TAMPERED');
  assert.equal(r.entries, 4);
});

test('one edited byte anywhere in the raw file bytes is detected at that line', async (t) => {
  const dataDir = tempDataDir(t);
  await writeLog(dataDir, 6);
  const raw = readFileSync(logPath(dataDir));
  const lines = readLines(logPath(dataDir));
  // flip a character inside the `prev` hex of line 3 (keeps it valid hex)
  const offset = lines.slice(0, 2).reduce((n, l) => n + l.length + 1, 0) + (lines[2] ?? '').indexOf('"prev":"') + 8;
  raw[offset] = raw[offset] === 0x61 ? 0x62 : 0x61;
  writeFileSync(logPath(dataDir), raw);
  const r = await verifyOnly(dataDir);
  assert.equal(r.ok, false);
  assert.equal(r.first_bad_seq, 3);
  assert.equal(r.reason, 'chain_mismatch');
});

test('an edit of the last line is caught by the checkpoint head', async (t) => {
  const dataDir = tempDataDir(t);
  await writeLog(dataDir, 5);
  const lines = readLines(logPath(dataDir));
  const line = JSON.parse(lines[4] ?? '');
  line.ts = '2020-01-01T00:00:00.000Z';
  lines[4] = JSON.stringify(line);
  writeLines(logPath(dataDir), lines);
  const r = await verifyOnly(dataDir);
  assert.equal(r.ok, false);
  assert.equal(r.first_bad_seq, 5);
  assert.equal(r.reason, 'tag_mismatch');
});

test('a deleted line is named as the first bad seq', async (t) => {
  const dataDir = tempDataDir(t);
  await writeLog(dataDir, 8);
  const lines = readLines(logPath(dataDir));
  lines.splice(3, 1); // delete seq 4
  writeLines(logPath(dataDir), lines);
  const r = await verifyOnly(dataDir);
  assert.equal(r.ok, false);
  assert.equal(r.first_bad_seq, 4);
  assert.equal(r.reason, 'seq_mismatch');
  assert.deepEqual(r.missing, { from: 4, to: 4 });
});

test('a deleted line with later seqs renumbered still breaks the chain at that seq', async (t) => {
  const dataDir = tempDataDir(t);
  await writeLog(dataDir, 8);
  const lines = readLines(logPath(dataDir));
  lines.splice(3, 1);
  const renumbered = lines.map((l, i) => JSON.stringify({ ...JSON.parse(l), seq: i + 1 }));
  writeLines(logPath(dataDir), renumbered);
  const r = await verifyOnly(dataDir);
  assert.equal(r.ok, false);
  assert.equal(r.first_bad_seq, 4);
  assert.equal(r.reason, 'chain_mismatch');
});

test('two swapped lines are named at the first swapped seq', async (t) => {
  const dataDir = tempDataDir(t);
  await writeLog(dataDir, 8);
  const lines = readLines(logPath(dataDir));
  [lines[2], lines[3]] = [lines[3] ?? '', lines[2] ?? ''];
  writeLines(logPath(dataDir), lines);
  const r = await verifyOnly(dataDir);
  assert.equal(r.ok, false);
  assert.equal(r.first_bad_seq, 3);
  assert.equal(r.reason, 'seq_mismatch');
});

test('truncating lines covered by the last checkpoint is reported as truncation at the first missing seq', async (t) => {
  const dataDir = tempDataDir(t);
  await writeLog(dataDir, 10, 5);
  const lines = readLines(logPath(dataDir));
  writeLines(logPath(dataDir), lines.slice(0, 7));
  const r = await verifyOnly(dataDir);
  assert.equal(r.ok, false);
  assert.equal(r.reason, 'truncated');
  assert.equal(r.first_bad_seq, 8);
  assert.deepEqual(r.missing, { from: 8, to: 10 });
  assert.equal(r.last_checkpoint?.seq, 10);
});

test('truncating the whole file is reported as truncation at seq 1', async (t) => {
  const dataDir = tempDataDir(t);
  await writeLog(dataDir, 3);
  writeFileSync(logPath(dataDir), '');
  const r = await verifyOnly(dataDir);
  assert.equal(r.ok, false);
  assert.equal(r.first_bad_seq, 1);
  assert.equal(r.reason, 'truncated');
  assert.deepEqual(r.missing, { from: 1, to: 3 });
});

test('a checkpoint with a bad signature fails verification', async (t) => {
  const dataDir = tempDataDir(t);
  await writeLog(dataDir, 6, 3);
  const cps = readLines(checkpointsPath(dataDir));
  const cp = JSON.parse(cps[0] ?? '');
  const sig = Buffer.from(cp.sig, 'base64');
  sig[10] = (sig[10] ?? 0) ^ 0xff;
  cp.sig = sig.toString('base64');
  cps[0] = JSON.stringify(cp);
  writeLines(checkpointsPath(dataDir), cps);
  const r = await verifyOnly(dataDir);
  assert.equal(r.ok, false);
  assert.equal(r.reason, 'checkpoint_bad_signature');
  assert.equal(r.first_bad_seq, 3);
});

test('a forged checkpoint signed with another key fails verification', async (t) => {
  const dataDir = tempDataDir(t);
  const other = tempDataDir(t);
  await writeLog(dataDir, 4, 2);
  await writeLog(other, 4, 2);
  writeFileSync(checkpointsPath(dataDir), readFileSync(checkpointsPath(other)));
  const r = await verifyOnly(dataDir);
  assert.equal(r.ok, false);
  assert.equal(r.reason, 'checkpoint_bad_signature');
});

test('a different configured key yields AUDIT_ERR_WRONG_KEY naming the kid, never garbage', async (t) => {
  const dataDir = tempDataDir(t);
  await writeLog(dataDir, 3, 1000, KEY_A);
  const r = await verifyOnly(dataDir, KEY_B);
  assert.equal(r.ok, false);
  assert.equal(r.code, 'AUDIT_ERR_WRONG_KEY');
  assert.equal(r.first_bad_seq, 1);
  assert.match(r.message ?? '', /kid cfg-/);
  const audit = reopen(t, dataDir, KEY_B);
  await assert.rejects(audit.read({ limit: 10 }), { code: 'AUDIT_ERR_WRONG_KEY' });
});

test('a replaced key under the same kid yields AUDIT_ERR_WRONG_KEY, not a tamper report', async (t) => {
  const dataDir = tempDataDir(t);
  await writeLog(dataDir, 3);
  const keyFile = join(dataDir, 'audit.key');
  const ring = JSON.parse(readFileSync(keyFile, 'utf8'));
  ring.keys[ring.current] = '33'.repeat(32);
  writeFileSync(keyFile, JSON.stringify(ring), { mode: 0o600 });
  const r = await verifyOnly(dataDir);
  assert.equal(r.code, 'AUDIT_ERR_WRONG_KEY');
  assert.match(r.message ?? '', /does not decrypt this log \(kid k-/);
  const audit = reopen(t, dataDir);
  await assert.rejects(audit.read({ limit: 10 }), { code: 'AUDIT_ERR_WRONG_KEY' });
});

test('after key rotation new lines use the new kid, old lines stay readable and verify passes', async (t) => {
  const dataDir = tempDataDir(t);
  const audit = openAudit({ dataDir, logger: capturingLogger() });
  await audit.log.append({ type: 'a.before', actor: 'system', outcome: 'ok' });
  const oldKid = audit.log.keyring.current;
  const newKid = audit.rotateKey();
  await audit.log.append({ type: 'a.after', actor: 'system', outcome: 'ok' });
  await audit.close();
  const kids = readLines(logPath(dataDir)).map((l) => JSON.parse(l).kid);
  assert.deepEqual(kids, [oldKid, newKid]);
  const again = reopen(t, dataDir);
  const entries = await again.read({ limit: 10 });
  assert.deepEqual(entries.map((e) => e.type), ['a.before', 'a.after']);
  const r = await again.verify();
  assert.equal(r.ok, true);
  assert.equal(r.entries, 2);
});
