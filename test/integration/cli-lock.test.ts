import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { REPO_ROOT, runCli } from '../unit/cli/spawn-cli.ts';

test('lock verify runs scripts/lock.ts verify and passes its verdict and exit code on', async () => {
  const direct = spawnSync(process.execPath, ['scripts/lock.ts', 'verify'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 120_000 });
  const viaCli = await runCli(['lock', 'verify'], { timeoutMs: 120_000 });
  assert.ok(direct.status === 0 || direct.status === 1, `lock.ts verify exit ${direct.status}: ${direct.stderr}`);
  assert.equal(viaCli.code, direct.status, viaCli.stderr);
  const verdict = (text: string): string | undefined => /^verify: .*$/m.exec(text)?.[0];
  assert.equal(verdict(viaCli.stdout + viaCli.stderr), verdict(direct.stdout + direct.stderr));
});
