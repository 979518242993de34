import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isValidGlob, matchGlob, hasWildcard, GLOB_MAX_LENGTH } from '../../../agent-gateway/glob.ts';

test('a glob without wildcards matches only the identical string', () => {
  assert.equal(matchGlob('echo', 'echo'), true);
  assert.equal(matchGlob('echo', 'echo2'), false);
  assert.equal(matchGlob('echo', 'Echo'), false);
  assert.equal(matchGlob('echo', ''), false);
});

test('* matches any run of characters including dots and the empty run', () => {
  assert.equal(matchGlob('*', ''), true);
  assert.equal(matchGlob('*', 'text.transform'), true);
  assert.equal(matchGlob('text.*', 'text.transform'), true);
  assert.equal(matchGlob('text.*', 'text.'), true);
  assert.equal(matchGlob('text.*', 'text'), false);
  assert.equal(matchGlob('*.eval', 'js.eval'), true);
  assert.equal(matchGlob('*.eval', 'js.evaluate'), false);
  assert.equal(matchGlob('a*b*c', 'abc'), true);
  assert.equal(matchGlob('a*b*c', 'a.x.b.y.c'), true);
  assert.equal(matchGlob('a*b*c', 'acb'), false);
  assert.equal(matchGlob('**', 'anything'), true);
  assert.equal(matchGlob('a**b', 'ab'), true);
});

test('? matches exactly one character', () => {
  assert.equal(matchGlob('ech?', 'echo'), true);
  assert.equal(matchGlob('ech?', 'ech'), false);
  assert.equal(matchGlob('ech?', 'echoo'), false);
  assert.equal(matchGlob('?', '.'), true);
  assert.equal(matchGlob('a?c*', 'abcdef'), true);
  assert.equal(matchGlob('*?', ''), false);
  assert.equal(matchGlob('*?', 'x'), true);
});

test('? matches one whole code point, not half a surrogate pair', () => {
  assert.equal(matchGlob('a?b', 'a\u{1F600}b'), true);
  assert.equal(matchGlob('a??b', 'a\u{1F600}b'), false);
});

test('prefix and suffix segments may not overlap', () => {
  assert.equal(matchGlob('ab*ba', 'aba'), false);
  assert.equal(matchGlob('ab*ba', 'abba'), true);
});

test('regex metacharacters outside the charset make a glob invalid and never match', () => {
  for (const g of ['a.+', '(a)', '[ab]', 'a|b', '^a', 'a$', 'a\\b', 'a b', 'a/b', '']) {
    assert.equal(isValidGlob(g), false, g);
    assert.equal(matchGlob(g, g), false, g);
  }
});

test('dots are literal, not regex wildcards', () => {
  assert.equal(matchGlob('js.eval', 'jsXeval'), false);
});

test('isValidGlob accepts 1..256 characters from the allowed charset', () => {
  assert.equal(isValidGlob('a'), true);
  assert.equal(isValidGlob('agent-1:tools_*.x?'), true);
  assert.equal(isValidGlob('a'.repeat(GLOB_MAX_LENGTH)), true);
  assert.equal(isValidGlob('a'.repeat(GLOB_MAX_LENGTH + 1)), false);
  assert.equal(isValidGlob(42), false);
  assert.equal(isValidGlob(null), false);
  assert.equal(isValidGlob('é'), false);
});

test('a non-string subject never matches', () => {
  assert.equal(matchGlob('*', 42 as unknown as string), false);
});

test('hasWildcard tells exact names from patterns', () => {
  assert.equal(hasWildcard('echo'), false);
  assert.equal(hasWildcard('e*'), true);
  assert.equal(hasWildcard('e?'), true);
});

test('a pathological pattern against a long run of a\'s returns (no backtracking blow-up)', () => {
  const subject = 'a'.repeat(100_000);
  assert.equal(matchGlob('*a*a*a*a*a*a*b', subject), false);
  assert.equal(matchGlob('*a*a*a*a*a*a*a', subject), true);
  assert.equal(matchGlob('*a*a*a*a*a*a*b', subject + 'b'), true);
  const longPattern = '*a'.repeat(127) + 'b';
  assert.equal(isValidGlob(longPattern), true);
  assert.equal(matchGlob(longPattern, subject), false);
});
