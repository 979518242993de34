/**
 * The pure delegation decision (agent-gateway/auth/delegation.ts): glob coverage is granted
 * only where every name the child entry can match is certainly matched by the parent entry.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decideDelegation, globCovers, widerEntries } from '../../../agent-gateway/auth/delegation.ts';

test('globCovers: exact names, identical globs, prefix under prefix; nothing wider or undecidable', () => {
  const yes: Array<[string, string]> = [
    ['fs.read', 'fs.read'], ['fs.*', 'fs.read'], ['*', 'anything'], ['fs.?ead', 'fs.read'],
    ['fs.*', 'fs.*'], ['fs.*', 'fs.read*'], ['fs.*', 'fs.?'], ['*', '*'], ['*', 'a*b'], ['a*b', 'a*b'], ['f*', 'fs.*'],
  ];
  const no: Array<[string, string]> = [
    ['fs.read', 'fs.write'], ['fs.read', 'fs.*'], ['fs.*', '*'], ['fs.*', 'f*'], ['fs.*', 'fs*'], ['fs.*', '?s.read'],
    ['*.read', 'fs.*'], ['a*b', 'a*'], ['fs.?', 'fs.*'], ['fs.?ead', 'fs.?*'], ['fs.r*', 'fs.*'], ['*.read', '*.read*'],
    ['fs.*', 'bad glob'], ['bad glob', 'fs.read'], ['', 'x'],
  ];
  for (const [p, c] of yes) assert.equal(globCovers(p, c), true, `${p} covers ${c}`);
  for (const [p, c] of no) assert.equal(globCovers(p, c), false, `${p} does not cover ${c}`);
  assert.deepEqual(widerEntries(['note.*', 'vault.read'], ['note.read', 'vault.*', 'web.post']), ['vault.*', 'web.post']);
});

test('decideDelegation: depth, scope, then TTL (refused past the parent, exactly its remaining allowed)', () => {
  const now = 1_000_000;
  const parent = { agentId: 'p', tools: ['note.*'], expiresAt: now + 600_000, chain: ['root'] };
  assert.deepEqual(decideDelegation(parent, { tools: ['note.read'], ttlSeconds: 600 }, now), { ok: true, expiresAt: now + 600_000, chain: ['root', 'p'] });
  assert.deepEqual(decideDelegation(parent, { tools: ['note.read'], ttlSeconds: 601 }, now), { ok: false, code: 'GW_ERR_DELEGATION_TTL', maxTtlSeconds: 600 });
  assert.equal(decideDelegation(parent, { tools: ['note.read'], ttlSeconds: 0 }, now).ok, false);
  assert.deepEqual(decideDelegation(parent, { tools: ['*'], ttlSeconds: 60 }, now), { ok: false, code: 'GW_ERR_DELEGATION_SCOPE', wider: ['*'] });
  const deep = { ...parent, chain: ['a', 'b', 'c'] };
  assert.equal(decideDelegation(deep, { tools: ['note.read'], ttlSeconds: 60 }, now).ok, true, '4 ancestors');
  assert.deepEqual(decideDelegation({ ...parent, chain: ['a', 'b', 'c', 'd'] }, { tools: ['note.read'], ttlSeconds: 60 }, now),
    { ok: false, code: 'GW_ERR_DELEGATION_DEPTH', maxDepth: 4 });
});
