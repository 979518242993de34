import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { tempDir } from '../support/gateway.ts';
import { runCli } from '../unit/cli/spawn-cli.ts';

const EVERY_HELP: readonly (readonly string[])[] = [
  ['--help'], ['-h'], ['help'],
  ['serve', '--help'], ['doctor', '--help'],
  ['admin', '--help'], ['admin', 'create', '--help'], ['admin', 'passwd', '--help'],
  ['agent', '--help'], ['agent', 'issue', '--help'], ['agent', 'revoke', '--help'], ['agent', 'list', '--help'],
  ['audit', '--help'], ['audit', 'verify', '--help'], ['audit', 'export', '--help'], ['audit', 'tail', '--help'],
  ['lock', '--help'], ['lock', 'verify', '--help'],
];

describe('palisade --help and usage errors', () => {
  const dataDir = tempDir('palisade-cli-help-');
  after(() => rmSync(dataDir, { recursive: true, force: true }));
  const env = { PALISADE_DATA_DIR: dataDir };

  test('--help on every command and subcommand prints usage and the exit codes, exits 0, touches nothing', async () => {
    for (const args of EVERY_HELP) {
      const r = await runCli(args, { env });
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stdout, /^Usage: palisade/m, args.join(' '));
      assert.match(r.stdout, /Exit codes:\n\s+0 /, args.join(' '));
      assert.match(r.stdout, /\b2\s+(usage|invalid configuration)/, args.join(' '));
    }
    // help for a write command opened nothing: the temp data dir is still empty
    const { readdirSync } = await import('node:fs');
    assert.deepEqual(readdirSync(dataDir), []);
  });

  test('bad usage exits 2 with a message on stderr', async () => {
    const cases: ReadonlyArray<readonly string[]> = [
      [],
      ['frobnicate'],
      ['admin'],
      ['admin', 'delete', 'x'],
      ['admin', 'create'],
      ['admin', 'create', 'a', 'b'],
      ['agent', 'list', '--bogus'],
      ['agent', 'issue', 'x', '--tools'],
      ['audit', 'tail', '-n', 'ten'],
      ['audit', 'verify', 'extra'],
      ['doctor', 'now'],
      ['lock', 'check'],
      ['serve', '--port', '1'],
    ];
    for (const args of cases) {
      const r = await runCli(args, { env });
      assert.equal(r.code, 2, `${args.join(' ')} → ${r.code}: ${r.stderr}`);
      assert.ok(r.stderr.length > 0, `${args.join(' ')} explains itself`);
    }
  });

  test('an invalid PALISADE_* environment is exit 2 listing every problem', async () => {
    const r = await runCli(['agent', 'list'], { env: { ...env, PALISADE_PORT: '99999', PALISADE_SANDBOX_BACKEND: 'vm' } });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /invalid configuration/);
    assert.match(r.stderr, /PALISADE_PORT/);
    assert.match(r.stderr, /PALISADE_SANDBOX_BACKEND/);
  });
});
