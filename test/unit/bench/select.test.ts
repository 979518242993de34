import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BENCH_GROUPS, benchSelection } from '../../../scripts/bench/select.ts';

const CASES = ['echo-docker', 'eval-docker', 'echo-isolate'];

test('without --only everything runs', () => {
  const s = benchSelection(undefined, CASES);
  assert.ok(s.ok);
  assert.equal(s.filtered, false);
  assert.equal(s.want('echo-isolate'), true);
  assert.equal(s.want('baselines'), true);
});

test('--only picks the named cases and groups, nothing else', () => {
  const s = benchSelection(' echo-docker,docker-cold ,', CASES);
  assert.ok(s.ok);
  assert.equal(s.filtered, true);
  assert.deepEqual([...CASES, ...Object.keys(BENCH_GROUPS)].filter((n) => s.want(n)), ['echo-docker', 'docker-cold']);
});

test('an unknown or empty name is refused with the known ones listed', () => {
  const typo = benchSelection('echo-dokcer', CASES);
  assert.equal(typo.ok, false);
  assert.match(typo.ok ? '' : typo.problem, /unknown echo-dokcer; cases: echo-docker, eval-docker, echo-isolate; groups: baselines,/);
  const empty = benchSelection(',', CASES);
  assert.equal(empty.ok, false);
  assert.match(empty.ok ? '' : empty.problem, /no names/);
});
