import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dateArg, intArg, parse } from '../../../scripts/cli/args.ts';
import { parseToolList } from '../../../scripts/cli/agent.ts';
import { CliError, EXIT } from '../../../scripts/cli/types.ts';

const usage = (fn: () => unknown): void => {
  assert.throws(fn, (e: unknown) => e instanceof CliError && e.exitCode === EXIT.USAGE);
};

test('parse accepts known options and positionals, and --help anywhere without checking arity', () => {
  const p = parse(['bot', '--tools', 'echo', '--json'], { tools: { type: 'string' }, json: { type: 'boolean' } }, { min: 1, max: 1 });
  assert.deepEqual(p.positionals, ['bot']);
  assert.equal(p.values['tools'], 'echo');
  assert.equal(p.values['json'], true);
  assert.equal(parse(['--help'], {}, { min: 2, max: 2 }).help, true);
  assert.equal(parse(['-h', 'x', 'y', 'z'], {}, { min: 0, max: 0 }).help, true);
});

test('parse turns unknown options, missing values and wrong arity into usage errors (exit 2)', () => {
  usage(() => parse(['--nope'], {}, { min: 0, max: 0 }));
  usage(() => parse(['--tools'], { tools: { type: 'string' } }, { min: 0, max: 0 }));
  usage(() => parse([], {}, { min: 1, max: 1 }));
  usage(() => parse(['a', 'b'], {}, { min: 1, max: 1 }));
});

test('intArg accepts plain decimal integers in range only', () => {
  assert.equal(intArg('--ttl', '600', 60, 1000), 600);
  for (const raw of ['59', '1001', '1e3', '0x10', '-5', '6.5', '', ' 60', '9'.repeat(30)]) usage(() => intArg('--ttl', raw, 60, 1000));
});

test('dateArg accepts ISO 8601 dates and rejects words and impossible dates', () => {
  assert.equal(dateArg('--since', '2026-01-31'), Date.UTC(2026, 0, 31));
  assert.equal(dateArg('--since', '2026-01-31T12:00:00Z'), Date.UTC(2026, 0, 31, 12));
  assert.equal(dateArg('--since', '2026-01-31T12:00:00.5+02:00'), Date.UTC(2026, 0, 31, 10, 0, 0, 500));
  for (const raw of ['yesterday', '1700000000000', '2026-13-45', '2026-01-31T25:00Z', '31/01/2026']) usage(() => dateArg('--since', raw));
});

test('parseToolList takes names and globs, refusing empty, duplicate and shell-ish entries', () => {
  assert.deepEqual(parseToolList('echo, text.*,hash.digest'), { ok: true, tools: ['echo', 'text.*', 'hash.digest'] });
  for (const raw of ['', ' , ', 'echo,echo', 'echo;rm', 'a b', '$(id)', 'x'.repeat(257)]) {
    assert.equal(parseToolList(raw).ok, false, raw);
  }
  assert.equal(parseToolList(Array.from({ length: 257 }, (_, i) => `t${i}`).join(',')).ok, false);
});
