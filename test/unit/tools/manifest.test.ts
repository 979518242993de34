import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseManifest } from '../../../agent-gateway/tools/manifest.ts';
import { echoManifest } from './fixtures.ts';

const LABEL = '/tools/echo/manifest.json';

function problemsOf(raw: unknown): readonly string[] {
  const r = parseManifest(raw, LABEL);
  assert.equal(r.ok, false, 'expected problems');
  return r.ok ? [] : r.problems;
}

test('parses a valid manifest and applies the defaults', () => {
  const r = parseManifest(echoManifest(), LABEL);
  assert.equal(r.ok, true);
  if (!r.ok) return;
  assert.equal(r.manifest.name, 'echo');
  assert.equal(r.manifest.backend, 'any');
  assert.equal(r.manifest.timeout_ms, 5000);
  assert.equal(r.manifest.memory_mb, 64);
  assert.equal(r.manifest.risk, 'low');
  assert.equal(r.manifest.requires_approval, false);
  assert.equal(r.validators.input({ text: 'hi' }), true);
  assert.equal(r.validators.input({ text: 1 }), false);
  assert.equal(r.validators.output({ text: 'hi' }), true);
});

test('keeps declared backend, timeout and memory', () => {
  const r = parseManifest(echoManifest({ backend: 'prefer-docker', timeout_ms: 60000, memory_mb: 8 }), LABEL);
  assert.equal(r.ok, true);
  if (!r.ok) return;
  assert.equal(r.manifest.backend, 'prefer-docker');
  assert.equal(r.manifest.timeout_ms, 60000);
  assert.equal(r.manifest.memory_mb, 8);
});

test('returns a new deep-frozen object and never mutates the input', () => {
  const raw = echoManifest();
  const before = JSON.stringify(raw);
  const r = parseManifest(raw, LABEL);
  assert.equal(r.ok, true);
  if (!r.ok) return;
  assert.equal(JSON.stringify(raw), before);
  assert.equal('backend' in raw, false);
  assert.notEqual(r.manifest.input_schema, raw['input_schema']);
  assert.ok(Object.isFrozen(r.manifest));
  assert.ok(Object.isFrozen(r.manifest.input_schema));
  assert.ok(Object.isFrozen((r.manifest.input_schema as { properties: object }).properties));
  (raw['input_schema'] as { required: string[] }).required.push('other');
  assert.deepEqual((r.manifest.input_schema as { required: string[] }).required, ['text']);
});

test('an unknown key is a problem naming the file and the key', () => {
  const p = problemsOf(echoManifest({ handler_path: 'x.js' }));
  assert.deepEqual(p, [`${LABEL}: /handler_path: unknown key`]);
});

test('every shape problem is listed with its JSON pointer', () => {
  const raw = echoManifest({ name: 'Echo!', risk: 'extreme', timeout_ms: 0, memory_mb: 1024, backend: 'vm' });
  delete raw['description'];
  const p = problemsOf(raw);
  for (const pointer of ['/name', '/risk', '/timeout_ms', '/memory_mb', '/backend', '/description']) {
    assert.ok(p.some((line) => line.startsWith(`${LABEL}: ${pointer}: `)), `missing ${pointer} in ${p.join('\n')}`);
  }
});

test('the name pattern allows dots, dashes and underscores but not uppercase or a leading digit', () => {
  assert.equal(parseManifest(echoManifest({ name: 'text.transform' }), LABEL).ok, true);
  assert.equal(parseManifest(echoManifest({ name: 'a-b_c.d9' }), LABEL).ok, true);
  assert.equal(parseManifest(echoManifest({ name: '9lives' }), LABEL).ok, false);
  assert.equal(parseManifest(echoManifest({ name: 'a'.repeat(65) }), LABEL).ok, false);
  assert.equal(parseManifest(echoManifest({ name: 'a'.repeat(64) }), LABEL).ok, true);
});

test('a description must be 1..1000 characters', () => {
  assert.equal(parseManifest(echoManifest({ description: '' }), LABEL).ok, false);
  assert.equal(parseManifest(echoManifest({ description: 'x'.repeat(1001) }), LABEL).ok, false);
});

test('a non-object manifest is refused', () => {
  for (const raw of [null, [], 'echo', 42]) {
    const p = problemsOf(raw);
    assert.ok(p.length >= 1 && p.every((l) => l.startsWith(LABEL + ': ')));
  }
});

test('an input_schema that does not compile in strict mode is a problem at /input_schema', () => {
  const p = problemsOf(echoManifest({ input_schema: { type: 'object', propertees: {} } }));
  assert.equal(p.length, 1);
  assert.match(p[0] ?? '', /^\/tools\/echo\/manifest\.json: \/input_schema: schema does not compile: .*propertees/);
});

test('an output_schema with an invalid keyword value is a problem at /output_schema', () => {
  const p = problemsOf(echoManifest({ output_schema: { type: 'strin' } }));
  assert.equal(p.length, 1);
  assert.match(p[0] ?? '', /: \/output_schema: schema does not compile/);
});

test('an unknown format is refused in strict mode; known formats work', () => {
  assert.equal(parseManifest(echoManifest({ output_schema: { type: 'string', format: 'no-such-format' } }), LABEL).ok, false);
  const r = parseManifest(echoManifest({ output_schema: { type: 'string', format: 'email' } }), LABEL);
  assert.equal(r.ok, true);
  if (r.ok) assert.equal(r.validators.output('not an email'), false);
});

test('input_schema must be type object', () => {
  const p = problemsOf(echoManifest({ input_schema: { type: 'string' } }));
  assert.deepEqual(p, [`${LABEL}: /input_schema/type: must be "object"`]);
  assert.equal(parseManifest(echoManifest({ input_schema: {} }), LABEL).ok, false);
});

test('async schemas and unresolvable $refs are refused', () => {
  assert.equal(parseManifest(echoManifest({ output_schema: { $async: true, type: 'object' } }), LABEL).ok, false);
  assert.equal(parseManifest(echoManifest({ output_schema: { $ref: 'https://example.com/s.json' } }), LABEL).ok, false);
});

test('compiled validators never coerce, fill defaults or strip properties', () => {
  const r = parseManifest(echoManifest({
    input_schema: {
      type: 'object',
      additionalProperties: false,
      properties: { n: { type: 'number' }, d: { type: 'string', default: 'x' } },
    },
  }), LABEL);
  assert.equal(r.ok, true);
  if (!r.ok) return;
  const args: Record<string, unknown> = { n: '5' };
  assert.equal(r.validators.input(args), false);
  assert.deepEqual(args, { n: '5' });
  const extra: Record<string, unknown> = { n: 1, other: true };
  assert.equal(r.validators.input(extra), false);
  assert.deepEqual(extra, { n: 1, other: true });
  const noDefault: Record<string, unknown> = { n: 1 };
  assert.equal(r.validators.input(noDefault), true);
  assert.deepEqual(noDefault, { n: 1 });
});
