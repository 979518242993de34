/**
 * Audit damage end to end (issue 19 item 6): the log deleted or truncated together with its
 * checkpoints, or a garbage line appended, on a real gateway and through the real CLI. The
 * sqlite head names the missing range; start-up records it, keeps serving, raises
 * `audit.damaged`; verify (HTTP and CLI) fails with the reason until acknowledged.
 */
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { call, createAgent, loginAdmin, startGateway, type TestGateway } from '../support/gateway.ts';
import { runCli } from '../unit/cli/spawn-cli.ts';

const logFile = (dataDir: string): string => join(dataDir, 'audit', 'audit.jsonl');
const cpFile = (dataDir: string): string => join(dataDir, 'audit', 'checkpoints.jsonl');
const lineCount = (dataDir: string): number => readFileSync(logFile(dataDir), 'utf8').split('\n').length - 1;

/** A gateway that wrote at least `n` audit lines, stopped; returns its data dir. */
async function populated(n: number): Promise<string> {
  const gw = await startGateway();
  const admin = (await loginAdmin(gw.url)).token;
  const agent = await createAgent(gw.url, admin, 'damage-bot', ['echo']);
  while (lineCount(gw.dataDir) < n) {
    const r = await call(gw.url, 'POST', '/tools/call', { token: agent, body: { tool: 'echo', args: { text: 'x' } } });
    assert.equal(r.status, 200);
  }
  await gw.stop();
  return gw.dataDir;
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function damagedAlert(gw: TestGateway, admin: string, afterSeq = 0): Promise<Record<string, unknown>> {
  return until('the audit.damaged alert in the audit log', async () => {
    const r = await call(gw.url, 'GET', `/admin/audit?event=alert.fired&after_seq=${afterSeq}`, { token: admin });
    const hit = (r.body?.entries as Array<{ data?: Record<string, unknown> }> | undefined)?.find((e) => e.data?.['alert'] === 'audit.damaged');
    return hit?.data;
  });
}

describe('audit damage: deleted or truncated log with checkpoints deleted', () => {
  test('audit.jsonl + checkpoints.jsonl deleted: CLI verify fails naming 1..n; the restarted gateway serves, alerts, and verify says truncated', async (t) => {
    const dataDir = await populated(6);
    t.after(() => rmSync(dataDir, { recursive: true, force: true }));
    const n = lineCount(dataDir);
    rmSync(logFile(dataDir));
    rmSync(cpFile(dataDir));
    const cli = await runCli(['audit', 'verify', '--json'], { env: { PALISADE_DATA_DIR: dataDir } });
    assert.equal(cli.code, 1, cli.stdout + cli.stderr);
    const r = JSON.parse(cli.stdout);
    assert.deepEqual({ ok: r.ok, reason: r.reason, missing: r.missing }, { ok: false, reason: 'truncated', missing: { from: 1, to: n } });

    const gw = await startGateway({ dataDir });
    t.after(() => gw.stop());
    const admin = (await loginAdmin(gw.url)).token; // keeps serving (and writes past the gap)
    const v = await call(gw.url, 'GET', '/admin/audit/verify', { token: admin });
    assert.equal(v.status, 200);
    assert.deepEqual({ ok: v.body.ok, reason: v.body.reason, missing: v.body.missing, first_bad_seq: v.body.first_bad_seq },
      { ok: false, reason: 'truncated', missing: { from: 1, to: n }, first_bad_seq: 1 });
    const alert = await damagedAlert(gw, admin);
    assert.equal(alert['severity'], 'critical');
    assert.match(String(alert['message']), /truncated.*palisade audit acknowledge/);
    // the lines written after the gap continue the seqs from the head, and tail reads them
    const tail = await runCli(['audit', 'tail', '-n', '1', '--json'], { env: { PALISADE_DATA_DIR: dataDir } });
    assert.equal(tail.code, 0, tail.stderr);
    const last = JSON.parse(tail.stdout.trim().split('\n').at(-1) ?? '{}') as { seq: number };
    assert.ok(last.seq > n, `seq ${last.seq} continues after the lost ${n}`);
  });

  test('the last 30 lines dropped + checkpoints deleted: human CLI output names the range', async (t) => {
    const dataDir = await populated(45);
    t.after(() => rmSync(dataDir, { recursive: true, force: true }));
    const lines = readFileSync(logFile(dataDir), 'utf8').split('\n').slice(0, -1);
    const n = lines.length;
    writeFileSync(logFile(dataDir), lines.slice(0, n - 30).map((l) => `${l}\n`).join(''));
    rmSync(cpFile(dataDir));
    const cli = await runCli(['audit', 'verify'], { env: { PALISADE_DATA_DIR: dataDir } });
    assert.equal(cli.code, 1, cli.stdout + cli.stderr);
    assert.match(cli.stdout, new RegExp(`FAILED: first bad seq ${n - 29} \\(truncated, AUDIT_ERR_TAMPERED\\)`));
    assert.match(cli.stdout, new RegExp(`missing: seq ${n - 29}\\.\\.${n}`));
  });
});

describe('audit damage: one garbage line appended to the log', () => {
  test('the gateway starts, moves the line aside, alerts; verify says garbage_tail until acknowledged with the CLI', async (t) => {
    const dataDir = await populated(3);
    t.after(() => rmSync(dataDir, { recursive: true, force: true }));
    const before = lineCount(dataDir);
    appendFileSync(logFile(dataDir), 'this is not an audit line\n');
    const gw = await startGateway({ dataDir });
    let stopped = false;
    t.after(() => (stopped ? undefined : gw.stop()));
    const admin = (await loginAdmin(gw.url)).token;
    const v = await call(gw.url, 'GET', '/admin/audit/verify', { token: admin });
    assert.deepEqual({ ok: v.body.ok, reason: v.body.reason, first_bad_seq: v.body.first_bad_seq }, { ok: false, reason: 'garbage_tail', first_bad_seq: before + 1 });
    assert.equal(readFileSync(v.body.incidents[0].detail.moved_to, 'utf8'), 'this is not an audit line\n');
    assert.equal((await damagedAlert(gw, admin))['severity'], 'critical');
    await gw.stop();
    stopped = true;

    const noNote = await runCli(['audit', 'acknowledge'], { env: { PALISADE_DATA_DIR: dataDir } });
    assert.equal(noNote.code, 2);
    const ack = await runCli(['audit', 'acknowledge', '--note', 'test garbage, investigated'], { env: { PALISADE_DATA_DIR: dataDir } });
    assert.equal(ack.code, 0, ack.stdout + ack.stderr);
    assert.match(ack.stdout, /acknowledged 1 incident/);
    const again = await runCli(['audit', 'acknowledge', '--note', 'again'], { env: { PALISADE_DATA_DIR: dataDir } });
    assert.equal(again.code, 1, 'nothing left to acknowledge');
    const ok = await runCli(['audit', 'verify', '--json'], { env: { PALISADE_DATA_DIR: dataDir } });
    assert.equal(ok.code, 0, ok.stdout);
    assert.equal(JSON.parse(ok.stdout).incidents[0].acknowledged.by, 'cli');
  });
});

describe('audit tamper detection through GET /admin/audit/verify', () => {
  test('one ciphertext byte of a line changed on disk: the restarted gateway\'s verify names that seq with tag_mismatch', async (t) => {
    const dataDir = await populated(6);
    t.after(() => rmSync(dataDir, { recursive: true, force: true }));
    const lines = readFileSync(logFile(dataDir), 'utf8').split('\n');
    const line = JSON.parse(lines[2] ?? '') as { ct: string };
    const ct = Buffer.from(line.ct, 'base64');
    ct[0] = (ct[0] ?? 0) ^ 0x01;
    lines[2] = JSON.stringify({ ...line, ct: ct.toString('base64') });
    writeFileSync(logFile(dataDir), lines.join('\n'));
    const gw = await startGateway({ dataDir });
    t.after(() => gw.stop());
    const admin = (await loginAdmin(gw.url)).token;
    const v = await call(gw.url, 'GET', '/admin/audit/verify', { token: admin });
    assert.deepEqual({ ok: v.body.ok, reason: v.body.reason, first_bad_seq: v.body.first_bad_seq, code: v.body.code },
      { ok: false, reason: 'tag_mismatch', first_bad_seq: 3, code: 'AUDIT_ERR_TAMPERED' });
    // the alert line is written after the tampered one (reading from before it fails, as it must)
    const alert = await damagedAlert(gw, admin, 3);
    assert.match(String(alert['message']), /verification failed: tag_mismatch at seq 3/);
    assert.equal((await call(gw.url, 'GET', '/admin/audit', { token: admin })).status, 503, 'a read across the edited line is refused, never garbage');
  });
});
