import assert from 'node:assert/strict';
import { test } from 'node:test';
import { passwordFromText } from '../../../scripts/cli/password.ts';

test('takes one line from stdin and drops only the trailing newline', () => {
  assert.deepEqual(passwordFromText('correct horse battery\n'), { ok: true, password: 'correct horse battery' });
  assert.deepEqual(passwordFromText('correct horse battery\r\n'), { ok: true, password: 'correct horse battery' });
  assert.deepEqual(passwordFromText('  spaces kept here  '), { ok: true, password: '  spaces kept here  ' });
});

test('refuses short, overlong, multi-line and NUL-containing passwords', () => {
  for (const text of ['', '\n', 'short\n', 'x'.repeat(1025), 'first line ok!\nsecond', 'has a NUL \u0000 inside']) {
    assert.equal(passwordFromText(text).ok, false, JSON.stringify(text.slice(0, 30)));
  }
});

test('counts characters, not bytes: 12 multi-byte characters are enough, 1024 are the maximum', () => {
  assert.equal(passwordFromText('é'.repeat(12)).ok, true);
  assert.equal(passwordFromText('😀'.repeat(1024)).ok, true);
  assert.equal(passwordFromText('😀'.repeat(1025)).ok, false);
});
