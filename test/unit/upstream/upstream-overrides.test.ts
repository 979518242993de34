/**
 * Admin overrides of upstream tools (issue 16 item 3), the pure decisions: checkOverrides (keys,
 * tag vocabulary, duplicates, listed tools), withOverride over the annotation defaults, the JSON
 * form audited and stored, and buildUpstreamTool applying an override field by field.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkOverrides, isEmptyOverride, overridesJson, withOverride } from '../../../agent-gateway/upstream/overrides.ts';
import { toDefinition } from '../../../agent-gateway/upstream/pin.ts';
import { buildUpstreamTool } from '../../../agent-gateway/upstream/tools.ts';

const LISTED = ['read', 'write'];
const KNOWN = 'exec:code, net:egress, reads:private, reads:public, reads:secret, writes:external, writes:local';

test('checkOverrides: short and full names, tags sorted, absent fields absent, {} kept as a removal', () => {
  const r = checkOverrides({ 'fs.read': { tags: ['reads:secret', 'net:egress'] }, write: { risk: 'low', requires_approval: false }, }, 'fs', LISTED);
  assert.ok(r.ok);
  assert.deepEqual([...r.value], [
    ['read', { tags: ['net:egress', 'reads:secret'] }],
    ['write', { risk: 'low', requires_approval: false }],
  ]);
  const cleared = checkOverrides({ read: {} }, 'fs', LISTED);
  assert.ok(cleared.ok);
  assert.deepEqual([...cleared.value], [['read', {}]]);
  assert.equal(isEmptyOverride(cleared.value.get('read')!), true);
  assert.equal(isEmptyOverride({ requires_approval: false }), false);
  assert.equal(isEmptyOverride({ tags: [] }), false, 'an empty tag list is an override (no tags), not a removal');
  assert.deepEqual(checkOverrides(undefined, 'fs', LISTED), { ok: true, value: new Map() });
});

test('checkOverrides refusals name the field: unknown tag with the known list, unknown tool with the listed ones, one tool twice', () => {
  assert.deepEqual(checkOverrides({ read: { tags: ['reads:secret', 'root'] } }, 'fs', LISTED), {
    ok: false, code: 'GW_ERR_VALIDATION', reason: `overrides/"read"/tags/1: unknown tag "root"; known tags: ${KNOWN}`,
  });
  assert.deepEqual(checkOverrides({ 'fs.delete': { risk: 'high' } }, 'fs', LISTED), {
    ok: false, code: 'GW_ERR_VALIDATION', reason: 'overrides/"fs.delete": the server "fs" lists no tool of that name; its tools: read, write',
  });
  assert.deepEqual(checkOverrides({ x: {} }, 'fs', []), {
    ok: false, code: 'GW_ERR_VALIDATION', reason: 'overrides/"x": the server "fs" lists no tool of that name; its tools: (none)',
  });
  assert.deepEqual(checkOverrides({ read: { risk: 'low' }, 'fs.read': { risk: 'high' } }, 'fs', LISTED), {
    ok: false, code: 'GW_ERR_VALIDATION', reason: 'overrides/"fs.read": the tool "read" is named twice (as "read" and "fs.read")',
  });
  // another server's prefix is not stripped
  assert.equal(checkOverrides({ 'git.read': {} }, 'fs', LISTED).ok, false);
  // before the server has listed (undefined), only the listing check is left out
  assert.equal(checkOverrides({ anything: { risk: 'low' } }, 'fs', undefined).ok, true);
  assert.equal(checkOverrides({ anything: { tags: ['nope'] } }, 'fs', undefined).ok, false);
  assert.equal(checkOverrides({ a: {}, 'fs.a': {} }, 'fs', undefined).ok, false);
});

test('withOverride replaces only the fields given; overridesJson is sorted plain JSON', () => {
  const defaults = { risk: 'high' as const, tags: ['writes:local' as const], requires_approval: true, name: 'fs.write' };
  assert.equal(withOverride(defaults, undefined), defaults);
  assert.deepEqual(withOverride(defaults, {}), defaults);
  assert.deepEqual(withOverride(defaults, { risk: 'low' }), { ...defaults, risk: 'low' });
  assert.deepEqual(withOverride(defaults, { tags: [] }), { ...defaults, tags: [] });
  assert.deepEqual(withOverride(defaults, { requires_approval: false }), { ...defaults, requires_approval: false });
  const m = new Map([['write', { requires_approval: false }], ['read', { tags: ['reads:secret' as const] }], ['b', {}]]);
  assert.equal(JSON.stringify(overridesJson(m)), '{"b":{},"read":{"tags":["reads:secret"]},"write":{"requires_approval":false}}');
});

test('buildUpstreamTool: an override beats the annotation defaults field by field; the manifest stays frozen', () => {
  const def = toDefinition({ name: 'write_file', inputSchema: { type: 'object' }, annotations: { destructiveHint: true, openWorldHint: true } })!;
  const plain = buildUpstreamTool('fs', def, 'a', 5000);
  assert.ok(plain.ok);
  assert.deepEqual([plain.tool.manifest.risk, plain.tool.manifest.requires_approval, plain.tool.manifest.tags], ['high', true, ['writes:external', 'writes:local']]);
  const low = buildUpstreamTool('fs', def, 'a', 5000, { risk: 'low' });
  assert.ok(low.ok);
  assert.deepEqual([low.tool.manifest.risk, low.tool.manifest.requires_approval, low.tool.manifest.tags], ['low', true, ['writes:external', 'writes:local']]);
  const all = buildUpstreamTool('fs', def, 'a', 5000, { risk: 'medium', requires_approval: false, tags: ['reads:secret'] });
  assert.ok(all.ok);
  assert.deepEqual([all.tool.manifest.risk, all.tool.manifest.requires_approval, all.tool.manifest.tags], ['medium', false, ['reads:secret']]);
  assert.ok(Object.isFrozen(all.tool.manifest) && Object.isFrozen(all.tool.manifest.tags));
});
