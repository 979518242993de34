/**
 * The value masks (privacy/masks.ts), exact outputs: each built-in token shape masked whole and
 * only when complete, the Luhn check, the long-token heuristic at its entropy boundary, the
 * short secret names, and the fail-closed path when a rule pattern may not run.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileSafeRegex, RegexBudget } from '../../../agent-gateway/policy/safe-regex.ts';
import { isSensitiveName, luhnValid, MASK, maskValue } from '../../../agent-gateway/privacy/masks.ts';

const R = MASK;
const masked = (s: string): string => maskValue(s).text;

test('short names are secret only as a whole name; longer names by their parts', () => {
  for (const n of ['pin', 'PIN', 'pass', 'Auth', 'cc', 'S-I-D', 'user_password', 'sessionId']) assert.equal(isSensitiveName(n), true, n);
  for (const n of ['pinto', 'passage', 'author', 'ccc', 'side', 'city', '']) assert.equal(isSensitiveName(n), false, n);
});

test('luhnValid: checksums with doubled digits over 9, zeros, and non-digits', () => {
  for (const d of ['4111111111111111', '79927398713', '59', '0000000000000', '5555555555554444']) assert.equal(luhnValid(d), true, d);
  for (const d of ['4111111111111112', '79927398710', '58', '4111-1111', '41111111111111:1', '/0', '9']) assert.equal(luhnValid(d), false, d);
  // '/' and ':' are 48-1 and 48+10: read as digits they would make a checksum that works out
  for (const d of ['/2', '0:']) assert.equal(luhnValid(d), false, d);
});

test('a checksum-valid card number is masked at 13 and at 19 digits, spaced or not; 12 and 20 digits are not card numbers', () => {
  for (const n of ['4222222222222', '1234567890123456785', '1234 5678 9012 3456 785']) assert.equal(masked(`n ${n} e`), `n ${R} e`, n);
  for (const n of ['422222222222', '12345678901234567894']) {
    assert.equal(luhnValid(n), true, n);
    assert.equal(masked(`n ${n} e`), `n ${n} e`, n);
  }
});

test('each token shape is masked whole, and only when complete', () => {
  const cases: Array<[string, string]> = [
    ['auth: Bearer  abc.def~+/==', `auth: ${R}`],
    ['Bearer abcdef rest', `${R} rest`],
    ['key sk-abcdefghijklmnop end', `key ${R} end`],
    ['key sk-abcdefghijklmno end', 'key sk-abcdefghijklmno end'],
    [`t ghp_${'ab'.repeat(15)} x`, `t ${R} x`],
    [`t ghx_${'ab'.repeat(15)} x`, `t ghx_${'ab'.repeat(15)} x`],
    ['s xoxb-abcdefghij x', `s ${R} x`],
    ['s xoxb-abcdefghi x', 's xoxb-abcdefghi x'],
    [`g AIza${'a'.repeat(35)} x`, `g ${R} x`],
    [`g AIza${'a'.repeat(34)} x`, `g AIza${'a'.repeat(34)} x`],
    ['j eyJabcdefgh.abcdefgh.abcdefgh x', `j ${R} x`],
    ['j eyJabcdefgh.abcdefg.abcdefgh x', 'j eyJabcdefgh.abcdefg.abcdefgh x'],
  ];
  for (const [input, want] of cases) assert.equal(masked(input), want, input);
});

test('long tokens need digits, letters and entropy of at least 3.5 bits per character', () => {
  // 4 symbols × 4 and 8 symbols × 2 over 32 characters: exactly 3.5 bits
  const edge = 'aaaabbbbcccc1111ddeeffgghhiijj22';
  assert.equal(edge.length, 32);
  assert.equal(masked(`x ${edge} y`), `x ${R} y`);
  assert.equal(masked(`x ${'abcdefghijklmnopqrstuvwxyzABCDEF'} y`), 'x abcdefghijklmnopqrstuvwxyzABCDEF y', 'no digit');
  assert.equal(masked('x A9fK2mQ7xL0pR4tV8wZ1bN6cH3jD5gSy7Ee y'), `x ${R} y`);
  assert.equal(masked(`x ${'a1'.repeat(16)} y`), `x ${'a1'.repeat(16)} y`, 'low entropy');
  assert.equal(masked('x 12345678901234567890123456789012 y'), 'x 12345678901234567890123456789012 y', 'no letter');
  const symbols = '0123456789+/_0123456789+/_0123456789'; // digits and symbols only, about 3.68 bits
  assert.equal(masked(`x ${symbols} y`), `x ${symbols} y`, 'no letter, high entropy');
});

test('a rule pattern that may not run masks the value whole and says whether that changed it', () => {
  const c = compileSafeRegex('CUST-[0-9]+');
  assert.ok(c.ok);
  assert.deepEqual(maskValue('plain', [c.regex], new RegexBudget(0)), { text: R, changed: true });
  assert.deepEqual(maskValue(R, [c.regex], new RegexBudget(0)), { text: R, changed: false });
  assert.deepEqual(maskValue('id CUST-12', [c.regex]), { text: `id ${R}`, changed: true });
  assert.deepEqual(maskValue('plain', [c.regex]), { text: 'plain', changed: false });
});
