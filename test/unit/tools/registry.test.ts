import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { buildRegistry, MAX_HANDLER_BYTES } from '../../../agent-gateway/tools/registry.ts';
import { echoManifest, makeTempDir, readTool, writeToolDir } from './fixtures.ts';

const ECHO_HANDLER = 'return { text: args.text };';

function hashManifest(): Record<string, unknown> {
  return echoManifest({
    name: 'hash.digest',
    description: 'Hashes data.',
    risk: 'medium',
    requires_approval: true,
    backend: 'isolate',
  });
}

test('builds a registry from built-in and operator tool folders', (t) => {
  const root = makeTempDir(t);
  const builtin = writeToolDir(path.join(root, 'builtin'), 'echo', echoManifest(), ECHO_HANDLER);
  const operator = writeToolDir(path.join(root, 'operator'), 'hash.digest', hashManifest(), 'return {text: ""};');
  const r = buildRegistry([readTool(builtin), readTool(operator)]);
  assert.equal(r.ok, true);
  if (!r.ok) return;
  assert.equal(r.registry.has('echo'), true);
  assert.equal(r.registry.has('nope'), false);
  assert.equal(r.registry.get('nope'), undefined);
  const echo = r.registry.get('echo');
  assert.ok(echo);
  assert.equal(echo.handler, ECHO_HANDLER);
  assert.equal(echo.manifest.timeout_ms, 5000);
  assert.equal(echo.validateInput({ text: 'a' }), true);
  assert.equal(echo.validateOutput({ text: 'a' }), true);
});

test('list() returns the GET /tools shape with the declared backend, sorted by name', (t) => {
  const root = makeTempDir(t);
  const r = buildRegistry([
    readTool(writeToolDir(root, 'hash.digest', hashManifest(), 'return {text:""};')),
    readTool(writeToolDir(root, 'echo', echoManifest(), ECHO_HANDLER)),
  ]);
  assert.equal(r.ok, true);
  if (!r.ok) return;
  const list = r.registry.list();
  assert.deepEqual(list.map((x) => x.name), ['echo', 'hash.digest']);
  assert.deepEqual(Object.keys(list[0] ?? {}).sort(), ['backend', 'description', 'input_schema', 'name', 'requires_approval', 'risk', 'tags']);
  assert.equal(list[0]?.backend, 'any');
  assert.equal(list[1]?.backend, 'isolate');
  assert.equal(list[1]?.requires_approval, true);
  assert.deepEqual(list[0]?.input_schema, echoManifest()['input_schema']);
  assert.equal(JSON.stringify(list).includes('return'), false, 'handler source is not listed');
});

test('lookups by prototype names find nothing', (t) => {
  const root = makeTempDir(t);
  const r = buildRegistry([readTool(writeToolDir(root, 'echo', echoManifest(), ECHO_HANDLER))]);
  assert.equal(r.ok, true);
  if (!r.ok) return;
  for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
    assert.equal(r.registry.has(name), false);
    assert.equal(r.registry.get(name), undefined);
  }
});

test('an operator tool may not shadow a built-in: the problem names both files', (t) => {
  const root = makeTempDir(t);
  const builtin = writeToolDir(path.join(root, 'builtin'), 'echo', echoManifest(), ECHO_HANDLER);
  const operator = writeToolDir(path.join(root, 'operator'), 'echo', echoManifest({ risk: 'low' }), 'return {text:"evil"};');
  const r = buildRegistry([readTool(builtin), readTool(operator)]);
  assert.equal(r.ok, false);
  if (r.ok) return;
  assert.equal(r.problems.length, 1);
  const p = r.problems[0] ?? '';
  assert.ok(p.startsWith(path.join(operator, 'manifest.json') + ': /name: duplicate tool name "echo"'), p);
  assert.ok(p.includes(path.join(builtin, 'manifest.json')), p);
});

test('a missing handler.js is a problem naming the file', (t) => {
  const root = makeTempDir(t);
  const dir = writeToolDir(root, 'echo', echoManifest());
  const r = buildRegistry([readTool(dir)]);
  assert.equal(r.ok, false);
  if (!r.ok) assert.deepEqual(r.problems, [`${path.join(dir, 'handler.js')}: handler.js is missing or empty`]);
});

test('an oversized handler is a problem', (t) => {
  const root = makeTempDir(t);
  const dir = writeToolDir(root, 'echo', echoManifest(), '//' + 'x'.repeat(MAX_HANDLER_BYTES));
  const r = buildRegistry([readTool(dir)]);
  assert.equal(r.ok, false);
  if (!r.ok) assert.match(r.problems[0] ?? '', /handler\.js is larger than/);
});

test('a manifest name that differs from its folder name is a problem', (t) => {
  const root = makeTempDir(t);
  const dir = writeToolDir(root, 'echo2', echoManifest(), ECHO_HANDLER);
  const r = buildRegistry([readTool(dir)]);
  assert.equal(r.ok, false);
  if (!r.ok) assert.match(r.problems[0] ?? '', /echo2[/\\]manifest\.json: \/name: "echo" does not match its folder name "echo2"/);
});

test('every bad tool is reported, not only the first', (t) => {
  const root = makeTempDir(t);
  const good = writeToolDir(root, 'echo', echoManifest(), ECHO_HANDLER);
  const unknownKey = writeToolDir(root, 'a', echoManifest({ name: 'a', extra: 1 }), ECHO_HANDLER);
  const badSchema = writeToolDir(root, 'b', echoManifest({ name: 'b', input_schema: { type: 'object', minProperties: 'x' } }), ECHO_HANDLER);
  const noHandler = writeToolDir(root, 'c', echoManifest({ name: 'c' }));
  const dup = writeToolDir(path.join(root, 'ops'), 'echo', echoManifest(), ECHO_HANDLER);
  const r = buildRegistry([good, unknownKey, badSchema, noHandler, dup].map(readTool));
  assert.equal(r.ok, false);
  if (r.ok) return;
  assert.equal(r.problems.length, 4, r.problems.join('\n'));
  assert.ok(r.problems.some((p) => p.startsWith(path.join(unknownKey, 'manifest.json') + ': /extra: unknown key')));
  assert.ok(r.problems.some((p) => p.startsWith(path.join(badSchema, 'manifest.json') + ': /input_schema: schema does not compile')));
  assert.ok(r.problems.some((p) => p.startsWith(path.join(noHandler, 'handler.js'))));
  assert.ok(r.problems.some((p) => p.startsWith(path.join(dup, 'manifest.json') + ': /name: duplicate')));
});

test('the same $id in two tools does not clash (each tool has its own ajv instance)', (t) => {
  const root = makeTempDir(t);
  const schema = { $id: 'urn:palisade:args', type: 'object' };
  const r = buildRegistry([
    readTool(writeToolDir(root, 'echo', echoManifest({ input_schema: schema }), ECHO_HANDLER)),
    readTool(writeToolDir(root, 'other', echoManifest({ name: 'other', input_schema: schema }), ECHO_HANDLER)),
  ]);
  assert.equal(r.ok, true, r.ok ? '' : r.problems.join('\n'));
});

test('a non-array or malformed input is refused without throwing', () => {
  assert.equal(buildRegistry('x' as unknown as []).ok, false);
  const r = buildRegistry([null as unknown as { dir: string; manifest: unknown; handler: string }]);
  assert.equal(r.ok, false);
});

test('an empty tool list builds an empty registry', () => {
  const r = buildRegistry([]);
  assert.equal(r.ok, true);
  if (r.ok) assert.deepEqual(r.registry.list(), []);
});

