/** Manifest annotations (MCP hints): shape, defaults, contradictions; scope listing for tools/list. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ANNOTATION_KEYS, DEFAULT_ANNOTATIONS, parseManifest } from '../../../agent-gateway/tools/manifest.ts';
import { buildRegistry } from '../../../agent-gateway/tools/registry.ts';
import { BUILTIN_ACTIONS_DIR, readToolDir } from '../../../sandbox/actions/load.ts';
import { echoManifest } from '../tools/fixtures.ts';

const LABEL = '/tools/echo/manifest.json';

test('annotations are kept as given and frozen', () => {
  const r = parseManifest(echoManifest({ annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false } }), LABEL);
  assert.equal(r.ok, true);
  if (!r.ok) return;
  assert.deepEqual(r.manifest.annotations, { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false });
  assert.ok(Object.isFrozen(r.manifest.annotations));
});

test('a manifest without annotations gets the cautious MCP defaults', () => {
  const r = parseManifest(echoManifest(), LABEL);
  assert.equal(r.ok, true);
  if (!r.ok) return;
  assert.deepEqual(r.manifest.annotations, DEFAULT_ANNOTATIONS);
  assert.deepEqual(DEFAULT_ANNOTATIONS, { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true });
});

test('a read-only tool that omits destructiveHint is not destructive; missing hints take defaults', () => {
  const r = parseManifest(echoManifest({ annotations: { readOnlyHint: true } }), LABEL);
  assert.equal(r.ok, true);
  if (!r.ok) return;
  assert.deepEqual(r.manifest.annotations, { readOnlyHint: true, destructiveHint: false, idempotentHint: false, openWorldHint: true });
});

test('unknown annotation keys, non-booleans and a non-object are refused with a pointer', () => {
  const cases: Array<[unknown, RegExp]> = [
    [{ readOnlyHint: true, title: 'Echo' }, /\/title: unknown key/],
    [{ readOnlyHint: 'yes' }, /\/annotations\/readOnlyHint: must be boolean/],
    [{ openWorldHint: 1 }, /\/annotations\/openWorldHint: must be boolean/],
    [[true], /\/annotations: must be object/],
    ['readOnly', /\/annotations: must be object/],
    [null, /\/annotations: must be object/],
  ];
  for (const [annotations, pattern] of cases) {
    const r = parseManifest(echoManifest({ annotations }), LABEL);
    assert.equal(r.ok, false, JSON.stringify(annotations));
    if (r.ok) continue;
    assert.ok(r.problems.some((p) => pattern.test(p) && p.startsWith(LABEL)), `${JSON.stringify(annotations)}: ${r.problems.join(' | ')}`);
  }
});

test('a read-only tool cannot also be destructive', () => {
  const r = parseManifest(echoManifest({ annotations: { readOnlyHint: true, destructiveHint: true } }), LABEL);
  assert.equal(r.ok, false);
  if (r.ok) return;
  assert.match(r.problems.join('\n'), /\/annotations: a read-only tool cannot be destructive/);
});

test('every built-in manifest declares all four hints; js.eval is not read-only, echo is read-only and idempotent', () => {
  const raw = readToolDir(BUILTIN_ACTIONS_DIR);
  for (const t of raw) {
    const a = (t.manifest as Record<string, unknown>)['annotations'] as Record<string, unknown> | undefined;
    assert.ok(a !== undefined, `${t.dir} has no annotations`);
    assert.deepEqual(Object.keys(a).sort(), [...ANNOTATION_KEYS].sort(), t.dir);
  }
  const built = buildRegistry(raw);
  assert.equal(built.ok, true);
  if (!built.ok) return;
  const jsEval = built.registry.get('js.eval')?.manifest.annotations;
  assert.equal(jsEval?.readOnlyHint, false);
  assert.equal(jsEval?.destructiveHint, true);
  const echo = built.registry.get('echo')?.manifest.annotations;
  assert.equal(echo?.readOnlyHint, true);
  assert.equal(echo?.idempotentHint, true);
});

test('listInScope resolves globs, sorts by name and returns nothing outside the scope', () => {
  const built = buildRegistry(readToolDir(BUILTIN_ACTIONS_DIR));
  assert.equal(built.ok, true);
  if (!built.ok) return;
  const r = built.registry;
  const names = (scope: string[]) => r.listInScope(scope).map((t) => t.manifest.name);
  assert.deepEqual(names(['echo']), ['echo']);
  assert.deepEqual(names(['text.*', 'echo']), ['echo', 'text.transform']);
  assert.deepEqual(names(['*']), ['echo', 'hash.digest', 'js.eval', 'json.query', 'regex.test', 'text.transform']);
  assert.deepEqual(names([]), []);
  assert.deepEqual(names(['nope.*', 'ech']), []);
  assert.deepEqual(r.listInScope('echo' as unknown as string[]), [], 'a non-array scope grants nothing');
});
