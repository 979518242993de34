import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { tempDir } from '../support/gateway.ts';
import { CLI, REPO_ROOT } from '../unit/cli/spawn-cli.ts';

describe('palisade serve', () => {
  const dataDir = tempDir('palisade-cli-serve-');
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  test('runs the gateway (health answers on the logged address) and stops cleanly on SIGTERM', async () => {
    const child = spawn(process.execPath, [CLI, 'serve'], {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env['PATH'] ?? '/usr/bin:/bin', PALISADE_DATA_DIR: dataDir, PALISADE_PORT: '0',
        PALISADE_SANDBOX_BACKEND: 'isolate', PALISADE_LOG_LEVEL: 'info', PALISADE_ADMIN_PASSWORD: 'serve test password',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    try {
      let out = '';
      const address = await new Promise<string>((resolve, reject) => {
        child.stdout.setEncoding('utf8').on('data', (d: string) => {
          out += d;
          const m = /"msg":"palisade listening","address":"([^"]+)"/.exec(out);
          if (m?.[1] !== undefined) resolve(m[1]);
        });
        child.on('exit', (code) => reject(new Error(`serve exited ${code} before listening: ${out}`)));
      });
      const res = await fetch(`http://${address}/health`);
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { status: 'ok' });
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
    } finally {
      clearTimeout(killer);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
