import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { tempDir } from '../support/gateway.ts';
import { REPO_ROOT } from '../unit/cli/spawn-cli.ts';

const outDir = tempDir('palisade-bench-quick-');
after(() => rmSync(outDir, { recursive: true, force: true }));

test('bench --quick completes against the real gateway and both baselines, printing ratios and writing JSON', async () => {
  const child = spawn(process.execPath, ['scripts/bench.ts', '--quick', '--connections', '4', '--out', outDir], {
    cwd: REPO_ROOT, env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: process.env['HOME'] ?? '/tmp' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const killer = setTimeout(() => child.kill('SIGTERM'), 110_000);
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  clearTimeout(killer);
  assert.equal(code, 0, stderr.slice(-2000));

  assert.match(stdout, /\| case\s+\| conn \| req\/s \| p50 ms \| p99 ms \| vs node:http \| vs express \|/);
  for (const label of ['baseline node:http echo', 'baseline express 5 echo', 'gateway authenticated no-op', 'echo via isolate (warm)', 'login (PBKDF2 600k)', 'audit burst (policy deny)']) {
    assert.match(stdout, new RegExp(`^\\| ${label.replace(/[()]/g, '\\$&')}\\s+\\|.*\\d\\.?\\d*x \\|`, 'm'), label);
  }
  assert.match(stdout, /skipped: docker cases: skipped in --quick/);
  // the chat peers ran, with every path answering its sanity request (issue 23)
  assert.doesNotMatch(stdout, /chat-peers:/);
  for (const path of ['direct', 'portkey', 'palisade', 'floor', 'floor-fsync']) assert.match(stdout, new RegExp(`^\\| ${path} \\| \\d+ \\|`, 'm'), path);
  assert.match(stdout, /^the floor \(a bare Node proxy, floor-proxy-child\.ts\): added p50 at 1 conn \+\d/m);

  const files = readdirSync(outDir).filter((f) => /^bench-.*\.json$/.test(f));
  assert.equal(files.length, 1);
  const record = JSON.parse(readFileSync(join(outDir, files[0] ?? ''), 'utf8')) as {
    rows: Array<{ id: string; reqPerSec: number; unexpected: number; ratio_vs_node_http: number; ratio_vs_express: number; rssAfterMiB: number }>;
  };
  const ids = record.rows.map((r) => r.id);
  assert.deepEqual(ids, ['baseline-http', 'baseline-express', 'baseline-express-1', 'health', 'auth-noop', 'echo-isolate', 'echo-isolate-1', 'echo-mcp', 'login', 'audit-burst', 'echo-plain-pair', 'echo-governed']);
  for (const r of record.rows) {
    assert.ok(r.reqPerSec > 0 && Number.isFinite(r.ratio_vs_node_http) && Number.isFinite(r.ratio_vs_express), JSON.stringify(r));
    assert.equal(r.unexpected, 0, `${r.id}: every response had the expected status`);
    assert.ok(r.rssAfterMiB > 0, `${r.id}: RSS sampled`);
  }
});
