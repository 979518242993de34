/**
 * The bounded-time regex module (policy/safe-regex.ts), exact values: each refusal's code and
 * message (length, program size at the 512 boundary, backreferences, lookaround, syntax), the
 * unit cost of a run, the subject cap at its boundary, the empty-subject shortcut, and capture
 * removal where a named group follows `=` or `!`, inside classes and after an open `\Q`.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileSafeRegex, REGEX_LIMITS, RegexBudget, regexReplaceAll, safeRegexTestMany, type SafeRegex } from '../../../agent-gateway/policy/safe-regex.ts';

const V = 'GW_ERR_VALIDATION';
const must = (src: string): SafeRegex => {
  const c = compileSafeRegex(src);
  assert.ok(c.ok, src);
  return c.regex;
};

test('each refusal has its code and exact message', () => {
  const len = { ok: false, code: V, message: 'regex must be 1..256 characters' };
  for (const bad of ['', 'a'.repeat(257), 7, undefined]) assert.deepEqual(compileSafeRegex(bad), len, String(bad).slice(0, 10));
  const back = { ok: false, code: V, message: 'backreferences are not supported (patterns use RE2 syntax, which runs in linear time)' };
  for (const bad of ['(a)\\1', '(a)\\9', '\\k<n>']) assert.deepEqual(compileSafeRegex(bad), back, bad);
  const look = { ok: false, code: V, message: 'lookahead and lookbehind are not supported (patterns use RE2 syntax, which runs in linear time)' };
  for (const bad of ['(?=a)', '(?!a)', '(?<=a)', '(?<!a)']) assert.deepEqual(compileSafeRegex(bad), look, bad);
  for (const bad of ['a(', '(?<a)', 'a**']) assert.deepEqual(compileSafeRegex(bad), { ok: false, code: V, message: 'invalid regular expression' }, bad);
});

test('a compiled program of 512 instructions is accepted, 513 is refused with both numbers', () => {
  assert.equal(must('a{510}').unitCost, 512 + 32);
  assert.deepEqual(compileSafeRegex('a{511}'), {
    ok: false, code: V, message: 'regex is too complex (compiled program of 513 instructions; the limit is 512): use smaller repetition counts',
  });
});

test('a run costs program size + 32 per character, captures removed; a subject of exactly 64 KiB may run', () => {
  assert.equal(must('a').unitCost, 3 + 32);
  assert.equal(must('(a)').unitCost, 3 + 32 + 2, 'charged for the original program, run without the capture');
  const re = must('a');
  const budget = new RegexBudget(re.unitCost * REGEX_LIMITS.subjectChars);
  assert.equal(budget.take(re, REGEX_LIMITS.subjectChars), true);
  assert.equal(budget.left, 0);
});

test('an empty subject is returned as is, costs nothing, and a pattern matching empty inserts nothing', () => {
  const budget = new RegexBudget(100);
  assert.equal(regexReplaceAll(must('a*'), '', 'X', budget), '');
  assert.equal(budget.left, 100);
  assert.equal(regexReplaceAll(must('a*'), 'b', 'X', budget), 'XbX', 'a non-empty subject does run');
});

test('capture removal: named groups after = or !, escaped ] in a class, an unterminated \\Q', () => {
  for (const [src, lean] of [
    ['=xy(?<n>c)', '=xy(?:c)'],
    ['!xy(?<n>c)', '!xy(?:c)'],
    ['[\\]](a)', '[\\]](?:a)'],
    ['(a)\\Q(b', '(?:a)\\Q(b'],
    ['(a)[[:digit:]](b)', '(?:a)[[:digit:]](?:b)'],
    ['[\\](](a)', '[\\](](?:a)'],
    ['[a](b)[[:digit:]]', '[a](?:b)[[:digit:]]'],
    ['[[a](b)[[:digit:]]', '[[a](?:b)[[:digit:]]'],
    ['[a:](b)[[:digit:]]', '[a:](?:b)[[:digit:]]'],
    ['[]](a)[[:x]', '[]](?:a)[[:x]'],
    ['\\Qxy(a)\\E(b)', '\\Qxy(a)\\E(?:b)'],
    ['\\Qa(\\E(b)', '\\Qa(\\E(?:b)'],
  ] as const) {
    const re = must(src);
    assert.equal(re.re.pattern(), lean, src);
    assert.equal(re.re.groupCount(), 0, src);
  }
});

test('safeRegexTestMany: a source that does not compile is unevaluable, the others are run', () => {
  assert.deepEqual(safeRegexTestMany([['(', 'x'], ['x', 'x'], ['y', 'x']]), ['unevaluable', true, false]);
});
