import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inScope } from '../../../agent-gateway/tools/scope.ts';

test('an exact tool name in scope allows that tool only', () => {
  assert.equal(inScope(['echo'], 'echo'), true);
  assert.equal(inScope(['echo'], 'echo2'), false);
  assert.equal(inScope(['echo'], 'js.eval'), false);
});

test('a glob in scope allows every matching tool', () => {
  assert.equal(inScope(['text.*'], 'text.transform'), true);
  assert.equal(inScope(['text.*'], 'json.query'), false);
  assert.equal(inScope(['*'], 'js.eval'), true);
  assert.equal(inScope(['echo', 'hash.*'], 'hash.digest'), true);
});

test('an empty scope allows nothing', () => {
  assert.equal(inScope([], 'echo'), false);
});

test('invalid scope entries are ignored (fail closed)', () => {
  assert.equal(inScope(['.*'], 'js.eval'), false); // literal leading dot, not a regex
  assert.equal(inScope(['(.*)'], 'js.eval'), false);
  assert.equal(inScope(['js.eval '], 'js.eval'), false);
  assert.equal(inScope([42 as unknown as string, ''], 'echo'), false);
  assert.equal(inScope('echo' as unknown as string[], 'echo'), false);
});

test('scope matching is case-sensitive', () => {
  assert.equal(inScope(['Echo'], 'echo'), false);
});
