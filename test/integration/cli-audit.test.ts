import assert from 'node:assert/strict';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { call, createAgent, loginAdmin, startGateway } from '../support/gateway.ts';
import { runCli } from '../unit/cli/spawn-cli.ts';

/** Flips one base64 character inside the `ct` field of the line with this seq. */
function tamperCiphertext(file: string, seq: number): void {
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n');
  const i = lines.findIndex((l) => l.startsWith('{') && (JSON.parse(l) as { seq: number }).seq === seq);
  assert.ok(i >= 0, `line for seq ${seq}`);
  const line = lines[i] ?? '';
  const at = line.indexOf('"ct":"') + 8;
  const ch = line[at] === 'A' ? 'B' : 'A';
  lines[i] = line.slice(0, at) + ch + line.slice(at + 1);
  writeFileSync(file, lines.join('\n'));
  assert.equal(readFileSync(file).length, Buffer.byteLength(text), 'same length, one byte changed');
}

describe('palisade audit verify/tail/export read the log directly with the key', () => {
  let dataDir: string;
  const env = (): Record<string, string> => ({ PALISADE_DATA_DIR: dataDir });
  let entries = 0;

  before(async () => {
    const gw = await startGateway();
    dataDir = gw.dataDir;
    const admin = (await loginAdmin(gw.url)).token;
    const agent = await createAgent(gw.url, admin, 'audit-bot', ['echo']);
    for (let i = 0; i < 3; i++) {
      const r = await call(gw.url, 'POST', '/tools/call', { token: agent, body: { tool: 'echo', args: { text: `n${i}` } } });
      assert.equal(r.status, 200);
    }
    await call(gw.url, 'POST', '/admin/login', { body: { username: 'admin', password: 'wrong password!!' } });
    await gw.stop();
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  test('verify prints ok with the entry count and exits 0 on an untouched log', async () => {
    const r = await runCli(['audit', 'verify'], { env: env() });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const m = /^ok: (\d+) entries verified/m.exec(r.stdout);
    assert.ok(m, r.stdout);
    entries = Number(m[1]);
    assert.ok(entries >= 6, `login, agent.create, 3 calls, failed login: got ${entries}`);
    const json = await runCli(['audit', 'verify', '--json'], { env: env() });
    assert.equal(JSON.parse(json.stdout).ok, true);
  });

  test('tail -n 2 prints the last two entries in seq order', async () => {
    const r = await runCli(['audit', 'tail', '-n', '2', '--json'], { env: env() });
    assert.equal(r.code, 0, r.stderr);
    const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { seq: number; type: string; outcome: string });
    assert.deepEqual(rows.map((e) => e.seq), [entries - 1, entries]);
    const last = rows[1];
    assert.ok(last !== undefined && last.type.startsWith('auth.') && last.outcome !== 'ok', `last entry is the failed login: ${JSON.stringify(last)}`);
    const human = await runCli(['audit', 'tail'], { env: env() });
    assert.equal(human.stdout.trim().split('\n').length, Math.min(20, entries), 'default: the last 20');
    assert.match(human.stdout, new RegExp(`^#${entries} \\d{4}-`, 'm'));
  });

  test('export filters by event and time and writes JSON or CSV', async () => {
    const all = await runCli(['audit', 'export'], { env: env() });
    assert.equal(all.code, 0, all.stderr);
    assert.equal((JSON.parse(all.stdout) as unknown[]).length, entries);
    const calls = await runCli(['audit', 'export', '--event', 'tool.call'], { env: env() });
    const rows = JSON.parse(calls.stdout) as Array<{ type: string; actor: string }>;
    assert.ok(rows.length >= 3 && rows.every((e) => e.type === 'tool.call' || e.type.startsWith('tool.call.')), calls.stdout.slice(0, 400));
    const future = await runCli(['audit', 'export', '--since', '2999-01-01'], { env: env() });
    assert.deepEqual(JSON.parse(future.stdout), []);
    const csv = await runCli(['audit', 'export', '--format', 'csv', '--limit', '2'], { env: env() });
    assert.equal(csv.code, 0);
    const lines = csv.stdout.trim().split('\n');
    assert.equal(lines.length, 3, 'header + 2 rows');
    assert.match(lines[0] ?? '', /^seq,ts,type,actor,outcome/);
  });

  test('bad export arguments exit 2', async () => {
    for (const args of [['--since', 'yesterday'], ['--format', 'xml'], ['--limit', '0'], ['--since', '2030-01-01', '--until', '2020-01-01']]) {
      const r = await runCli(['audit', 'export', ...args], { env: env() });
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    }
  });

  test('a log without its key is a runtime error (exit 3) and no key is generated', async () => {
    const keyFile = join(dataDir, 'audit.key');
    renameSync(keyFile, `${keyFile}.away`);
    try {
      const r = await runCli(['audit', 'verify'], { env: env() });
      assert.equal(r.code, 3);
      assert.match(r.stderr, /no audit key/);
      assert.equal(existsSync(keyFile), false);
    } finally {
      renameSync(`${keyFile}.away`, keyFile);
    }
  });

  test('after one byte of audit.jsonl is changed, verify exits 1 naming that seq', async () => {
    tamperCiphertext(join(dataDir, 'audit', 'audit.jsonl'), 3);
    const r = await runCli(['audit', 'verify'], { env: env() });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /FAILED: first bad seq 3 \(tag_mismatch, AUDIT_ERR_TAMPERED\)/);
    assert.match(r.stdout, /^2 entries verified before it/m);
    const json = await runCli(['audit', 'verify', '--json'], { env: env() });
    assert.equal(json.code, 1);
    assert.equal(JSON.parse(json.stdout).first_bad_seq, 3);
    assert.equal(JSON.parse(json.stdout).reason, 'tag_mismatch');
  });
});
