/** Policy globs (policy/glob.ts): the length refusal at its boundaries, the syntax refusal, and any-of matching. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { anyGlobMatches, checkGlob, GLOB_MAX_LENGTH } from '../../../agent-gateway/policy/glob.ts';

test('checkGlob: 1..256 characters, then the glob syntax, each with its message', () => {
  assert.equal(GLOB_MAX_LENGTH, 256);
  const len = { ok: false, message: 'must be 1..256 characters' };
  assert.deepEqual(checkGlob(''), len);
  assert.deepEqual(checkGlob('a'.repeat(257)), len);
  assert.deepEqual(checkGlob('*'.repeat(257)), len, 'length is checked before the syntax');
  assert.deepEqual(checkGlob('a'.repeat(256)), { ok: true });
  assert.deepEqual(checkGlob('a'), { ok: true });
  for (const bad of ['a b', 'a/b', '[ab]', 'a{1}']) {
    assert.deepEqual(checkGlob(bad), { ok: false, message: 'invalid glob: only *, ? and the characters A-Z a-z 0-9 _ . : - are allowed' }, bad);
  }
});

test('anyGlobMatches: one matching glob is enough; none, or an empty list, is no match', () => {
  assert.equal(anyGlobMatches(['read_*', 'echo'], 'echo'), true);
  assert.equal(anyGlobMatches(['echo', 'read_*'], 'read_file'), true);
  assert.equal(anyGlobMatches(['read_*', 'echo'], 'write'), false);
  assert.equal(anyGlobMatches([], 'echo'), false);
});
