/** The one bounded-time regex module (agent-gateway/policy/safe-regex.ts): caps, budget, fail-closed results. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RE2JS } from 're2js';
import { compileSafeRegex, REGEX_LIMITS, RegexBudget, regexReplaceAll, regexTest, safeRegexTest } from '../../../agent-gateway/policy/safe-regex.ts';

const must = (src: string) => {
  const c = compileSafeRegex(src);
  assert.ok(c.ok, src);
  return c.regex;
};

test('sources: 1..256 characters, RE2 syntax, compiled program of at most 512 instructions', () => {
  for (const bad of ['', 'a'.repeat(REGEX_LIMITS.sourceChars + 1), '(', '(?=a)', '(a)\\1', '\\w{600}', 42, null]) {
    assert.equal(compileSafeRegex(bad).ok, false, String(bad));
  }
  const tooBig = compileSafeRegex('[a-z]{2,1000}x');
  assert.ok(!tooBig.ok && /too complex/.test(tooBig.message));
  for (const good of ['a'.repeat(256), '(?i)secret', '(?P<y>\\d{4})', '(?<y>\\d{4})', '\\p{L}+', '\\x{41}']) assert.ok(compileSafeRegex(good).ok, good);
});

test('a subject over 64 KiB is unevaluable and never run', () => {
  const re = must('a');
  const budget = new RegexBudget();
  assert.equal(regexTest(re, 'a'.repeat(REGEX_LIMITS.subjectChars + 1), budget), 'unevaluable');
  assert.equal(budget.left, REGEX_LIMITS.workUnits, 'nothing was charged');
  assert.equal(regexReplaceAll(re, 'a'.repeat(REGEX_LIMITS.subjectChars + 1), 'X', budget), undefined);
  assert.equal(safeRegexTest('a', 'xa'), true);
});

test('the work budget is charged per run and a run that would overdraw it does not run', () => {
  const re = must('(.*a){20}');
  const budget = new RegexBudget(re.unitCost * 1000);
  assert.equal(regexTest(re, 'a'.repeat(600), budget), true);
  assert.equal(budget.left, re.unitCost * 400);
  assert.equal(regexTest(re, 'a'.repeat(600), budget), 'unevaluable');
  assert.equal(regexReplaceAll(re, 'a'.repeat(600), 'X', budget), undefined);
  assert.equal(regexTest(re, 'a'.repeat(400), budget), true);
  assert.equal(budget.left, 0);
});

test('replacement is literal: $1 and $& in the mask are not expanded', () => {
  assert.equal(regexReplaceAll(must('(\\d+)'), 'pin 1234 and 99', '$1$&', new RegexBudget()), 'pin $1$& and $1$&');
});

test('capture groups are removed for matching without changing what matches', () => {
  const cases: Array<[string, string, string[]]> = [
    ['(?P<x>a)(b)', '(?:a)(?:b)', ['ab', 'xaby', 'ba']],
    ['(?<year>\\d{4})-(\\d{2})', '(?:\\d{4})-(?:\\d{2})', ['2024-05', '24-05', 'x1999-12y']],
    ['[(]a(b)', '[(]a(?:b)', ['(ab', 'ab', '(a']],
    ['[]()]x', '[]()]x', [']x', '(x', 'x']],
    ['[^]()](a)', '[^]()](?:a)', ['ba', ']a', '(a']],
    ['\\((a)\\)', '\\((?:a)\\)', ['(a)', 'a']],
    ['\\Q(a)\\E(b)', '\\Q(a)\\E(?:b)', ['(a)b', 'ab']],
    ['[[:alpha:](](x)', '[[:alpha:](](?:x)', ['(x', 'qx', '1x']],
    ['(?i:(a))b', '(?i:(?:a))b', ['Ab', 'aB']],
    ['(.*a){20}', '(?:.*a){20}', ['a'.repeat(20), 'a'.repeat(19)]],
  ];
  for (const [src, lean, samples] of cases) {
    const re = must(src);
    assert.equal(re.re.pattern(), lean, src);
    const original = RE2JS.compile(src);
    for (const s of samples) {
      assert.equal(re.re.test(s), original.test(s), `${src} on ${s}`);
      assert.equal(re.re.matcher(s).replaceAll(() => '#'), original.matcher(s).replaceAll(() => '#'), `${src} replace on ${s}`);
    }
  }
});
