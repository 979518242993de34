import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildRegistry, type RegisteredTool } from '../../../agent-gateway/tools/registry.ts';
import { checkToolName, validateArgs, validateResult, MAX_REPORTED_ERRORS } from '../../../agent-gateway/tools/validate.ts';
import { echoManifest } from './fixtures.ts';

function tool(overrides: Record<string, unknown> = {}): RegisteredTool {
  const name = typeof overrides['name'] === 'string' ? overrides['name'] : 'echo';
  const r = buildRegistry([{ dir: `/virtual/${name}`, manifest: echoManifest(overrides), handler: 'return args;' }]);
  assert.equal(r.ok, true, r.ok ? '' : r.problems.join('\n'));
  if (!r.ok) throw new Error('unreachable');
  const t = r.registry.get(name);
  assert.ok(t);
  return t;
}

test('checkToolName accepts names of 1..256 characters', () => {
  assert.deepEqual(checkToolName('echo'), { ok: true, name: 'echo' });
  assert.equal(checkToolName('x'.repeat(256)).ok, true);
  assert.equal(checkToolName('\u{1F600}'.repeat(256)).ok, true);
});

test('checkToolName answers 422 for a name over 256 characters, empty or not a string', () => {
  for (const bad of ['x'.repeat(257), '\u{1F600}'.repeat(257), '', 42, null, undefined, ['echo'], { name: 'echo' }]) {
    const r = checkToolName(bad);
    assert.equal(r.ok, false);
    if (r.ok) continue;
    assert.equal(r.status, 422);
    assert.equal(r.code, 'GW_ERR_VALIDATION');
    assert.equal(r.errors[0]?.instancePath, '/tool');
  }
});

test('checkToolName never echoes the name in its message', () => {
  const r = checkToolName('<script>'.repeat(40));
  assert.equal(r.ok, false);
  if (!r.ok) assert.equal(JSON.stringify(r).includes('<script>'), false);
});

test('validateArgs accepts args matching the schema', () => {
  assert.deepEqual(validateArgs(tool(), { text: 'hello' }), { ok: true });
});

test('validateArgs reports ajv instancePath and message for a wrong type', () => {
  const r = validateArgs(tool(), { text: 42 });
  assert.equal(r.ok, false);
  if (!r.ok) assert.deepEqual(r.errors, [{ instancePath: '/text', message: 'must be string' }]);
});

test('validateArgs reports a missing required property and unknown properties', () => {
  const missing = validateArgs(tool(), {});
  assert.equal(missing.ok, false);
  if (!missing.ok) assert.match(missing.errors[0]?.message ?? '', /required property 'text'/);
  const extra = validateArgs(tool(), { text: 'a', sneaky: 'SECRET-VALUE' });
  assert.equal(extra.ok, false);
  if (!extra.ok) {
    assert.equal(extra.errors[0]?.message, 'must NOT have additional properties');
    assert.equal(JSON.stringify(extra).includes('SECRET-VALUE'), false);
  }
});

test('validateArgs never echoes the offending value', () => {
  const t = tool({
    input_schema: { type: 'object', properties: { s: { type: 'string', maxLength: 3, pattern: '^[a-z]+$' }, e: { type: 'string', enum: ['a'] } } },
  });
  for (const args of [{ s: 'TOPSECRET' }, { s: 'toolongsecret' }, { e: 'TOPSECRET' }]) {
    const r = validateArgs(t, args);
    assert.equal(r.ok, false);
    assert.equal(JSON.stringify(r).toLowerCase().includes('secret'), false, JSON.stringify(r));
  }
});

test('validateArgs does not coerce or modify the args', () => {
  const t = tool({ input_schema: { type: 'object', properties: { n: { type: 'integer', default: 3 } } } });
  const args = { n: '7' };
  assert.equal(validateArgs(t, args).ok, false);
  assert.deepEqual(args, { n: '7' });
  const empty = {};
  assert.equal(validateArgs(t, empty).ok, true);
  assert.deepEqual(empty, {});
});

test('validateArgs reports a bounded number of errors', () => {
  const r = validateArgs(tool(), 'not an object');
  assert.equal(r.ok, false);
  if (!r.ok) {
    assert.ok(r.errors.length >= 1 && r.errors.length <= MAX_REPORTED_ERRORS);
    assert.equal(r.errors[0]?.instancePath, '');
  }
});

test('validateResult accepts a result matching output_schema within the size limit', () => {
  assert.deepEqual(validateResult(tool(), { text: 'x' }), { ok: true });
});

test('validateResult answers SBX_ERR_BAD_OUTPUT for a result not matching output_schema', () => {
  const r = validateResult(tool(), { text: 1 });
  assert.equal(r.ok, false);
  if (r.ok) return;
  assert.equal(r.code, 'SBX_ERR_BAD_OUTPUT');
  assert.match(r.message, /output_schema at \/text: must be string/);
});

test('validateResult answers SBX_ERR_OUTPUT_TOO_LARGE over 256 KiB by default (UTF-8 bytes)', () => {
  const t = tool();
  // {"text":"…"} adds 11 bytes of JSON around the string
  assert.equal(validateResult(t, { text: 'a'.repeat(256 * 1024 - 11) }).ok, true);
  const over = validateResult(t, { text: 'a'.repeat(256 * 1024 - 10) });
  assert.equal(over.ok, false);
  if (!over.ok) assert.equal(over.code, 'SBX_ERR_OUTPUT_TOO_LARGE');
  const multibyte = validateResult(t, { text: 'é'.repeat(100 * 1024) }); // 'é' is 2 bytes: 200 KiB
  assert.equal(multibyte.ok, true);
  const multibyteOver = validateResult(t, { text: 'é'.repeat(130 * 1024) });
  assert.equal(multibyteOver.ok, false);
  if (!multibyteOver.ok) assert.equal(multibyteOver.code, 'SBX_ERR_OUTPUT_TOO_LARGE');
});

test('validateResult honours a custom maxBytes', () => {
  const r = validateResult(tool(), { text: 'abcdef' }, 10);
  assert.equal(r.ok, false);
  if (!r.ok) assert.equal(r.code, 'SBX_ERR_OUTPUT_TOO_LARGE');
});

test('validateResult answers SBX_ERR_BAD_OUTPUT for values that are not JSON', () => {
  const t = tool({ output_schema: {} });
  const cyclic: Record<string, unknown> = {};
  cyclic['self'] = cyclic;
  for (const v of [undefined, () => 1, 10n, cyclic]) {
    const r = validateResult(t, v);
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.code, 'SBX_ERR_BAD_OUTPUT');
  }
});

test('validateResult message is bounded even for hostile keys in the result', () => {
  const t = tool({ output_schema: { type: 'object', additionalProperties: { type: 'string' } } });
  const r = validateResult(t, { ['k'.repeat(5000)]: 1 });
  assert.equal(r.ok, false);
  if (!r.ok) assert.ok(r.message.length <= 1025);
});
