import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { BUILTIN_ACTIONS_DIR, readToolDir } from '../../../sandbox/actions/load.ts';
import { buildRegistry } from '../../../agent-gateway/tools/registry.ts';
import { validateArgs } from '../../../agent-gateway/tools/validate.ts';
import { echoManifest, makeTempDir, writeToolDir } from './fixtures.ts';

test('the built-in actions form a valid registry with the six contract tools', () => {
  const r = buildRegistry(readToolDir(BUILTIN_ACTIONS_DIR));
  assert.equal(r.ok, true, r.ok ? '' : r.problems.join('\n'));
  if (!r.ok) return;
  const names = r.registry.list().map((t) => t.name);
  for (const name of ['echo', 'text.transform', 'json.query', 'hash.digest', 'regex.test', 'js.eval']) {
    assert.ok(names.includes(name), `missing ${name}`);
  }
  const jsEval = r.registry.list().find((t) => t.name === 'js.eval');
  assert.equal(jsEval?.risk, 'high');
  assert.equal(jsEval?.requires_approval, true);
});

test('built-in input schemas reject wrong args and accept right ones', () => {
  const r = buildRegistry(readToolDir(BUILTIN_ACTIONS_DIR));
  assert.equal(r.ok, true);
  if (!r.ok) return;
  const echo = r.registry.get('echo');
  assert.ok(echo);
  assert.equal(validateArgs(echo, { text: 'hi' }).ok, true);
  assert.equal(validateArgs(echo, { text: 1 }).ok, false);
  assert.equal(validateArgs(echo, { text: 'hi', extra: true }).ok, false);
});

test('an operator tools directory cannot shadow a built-in; the start problem names the file', (t) => {
  const ops = makeTempDir(t);
  writeToolDir(ops, 'echo', echoManifest({ description: 'my echo' }), 'return {text: "shadowed"};');
  writeToolDir(ops, 'ops.ok', echoManifest({ name: 'ops.ok' }), 'return {text: args.text};');
  const r = buildRegistry([...readToolDir(BUILTIN_ACTIONS_DIR), ...readToolDir(ops)]);
  assert.equal(r.ok, false);
  if (r.ok) return;
  assert.equal(r.problems.length, 1);
  assert.ok(r.problems[0]?.startsWith(`${path.join(ops, 'echo', 'manifest.json')}: /name: duplicate tool name "echo"`), r.problems[0]);
});

test('an operator tools directory adds its tools after the built-ins', (t) => {
  const ops = makeTempDir(t);
  writeToolDir(ops, 'ops.ok', echoManifest({ name: 'ops.ok' }), 'return {text: args.text};');
  const r = buildRegistry([...readToolDir(BUILTIN_ACTIONS_DIR), ...readToolDir(ops)]);
  assert.equal(r.ok, true, r.ok ? '' : r.problems.join('\n'));
  if (r.ok) assert.equal(r.registry.has('ops.ok'), true);
});
