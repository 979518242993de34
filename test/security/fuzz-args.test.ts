/**
 * Fuzz battery for the argument pipeline's pure core: a seeded PRNG builds thousands of
 * random (often hostile) values; sanitizeArgs + validateArgs + validateResult must never
 * throw, must always answer a well-formed result, and must never let a forbidden key,
 * a control-character key or non-JSON data through. Failures print the seed to replay.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sanitizeArgs } from '../../agent-gateway/tools/sanitize.ts';
import { validateArgs, validateResult } from '../../agent-gateway/tools/validate.ts';
import { buildRegistry, type RegisteredTool } from '../../agent-gateway/tools/registry.ts';

const SEED = Number(process.env['PALISADE_FUZZ_SEED'] ?? 0x5eed);
const ITERATIONS = 4000;

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Gen { value: unknown; hostile: boolean }

function makeGenerator(rand: () => number) {
  const int = (n: number) => Math.floor(rand() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T;
  const SAFE_KEYS = ['text', 'a', 'b', 'data', 'path', 'x.y', 'a/b', '~0', 'Constructor', 'proto', '__proto', 'é', '\u{1F600}', ''];
  const BAD_KEYS = ['__proto__', 'constructor', 'prototype', 'a\u0000b', '\u0001', 'line\nbreak', 'del\u007f', 'tab\t', '\uD800', 'x\uDFFFy'];
  const BAD_LEAVES: (() => unknown)[] = [
    () => undefined, () => () => 1, () => Symbol('s'), () => 10n, () => NaN, () => Infinity, () => -Infinity,
    () => new Date(0), () => new Map([[1, 2]]), () => /re/, () => new Uint8Array(2), () => 'lone \uD83D surrogate',
    () => Object.defineProperty({}, 'g', { get: () => 1, enumerable: true }), () => [1, , 2],
  ];
  const safeLeaf = (): unknown => pick<() => unknown>([
    () => '', () => 'hello', () => 'ctrl\u0000chars\nin values are fine', () => 'é\u{1F600}', () => int(1e9) - 5e8,
    () => rand() * 1e308, () => -0, () => 1.7976931348623157e308, () => 5e-324, () => true, () => false, () => null,
  ])();

  function gen(depth: number, budget: { keys: number }): Gen {
    const roll = rand();
    if (depth >= 6 || roll < 0.35) {
      if (rand() < 0.04) return { value: pick(BAD_LEAVES)(), hostile: true };
      return { value: safeLeaf(), hostile: false };
    }
    let hostile = false;
    if (roll < 0.65) {
      const arr: unknown[] = [];
      const n = int(5);
      for (let i = 0; i < n; i += 1) { const g = gen(depth + 1, budget); arr.push(g.value); hostile ||= g.hostile; }
      return { value: arr, hostile };
    }
    const obj: Record<string, unknown> = rand() < 0.1 ? Object.create(null) : {};
    const n = int(5);
    for (let i = 0; i < n && budget.keys > 0; i += 1) {
      const badKey = rand() < 0.03;
      const key = badKey ? pick(BAD_KEYS) : pick(SAFE_KEYS) + (rand() < 0.5 ? String(int(100)) : '');
      if (Object.hasOwn(obj, key)) continue;
      const g = gen(depth + 1, budget);
      Object.defineProperty(obj, key, { value: g.value, enumerable: true, writable: true, configurable: true });
      budget.keys -= 1;
      hostile ||= badKey || g.hostile;
    }
    return { value: obj, hostile };
  }

  function nest(depth: number, asObject: boolean): unknown {
    let v: unknown = 'leaf';
    for (let i = 0; i < depth; i += 1) v = asObject ? { k: v } : [v];
    return v;
  }

  /** One case: a random value, a JSON text parsed (own __proto__ keys!), or an oversized one. */
  return function next(): Gen {
    const mode = rand();
    if (mode < 0.7) return gen(0, { keys: 200 });
    if (mode < 0.85) {
      const key = pick([...BAD_KEYS.slice(0, 3), 'ok']);
      let inner = 'null';
      for (let tries = 0; tries < 5; tries += 1) {
        const g = gen(0, { keys: 20 });
        if (!g.hostile) { inner = JSON.stringify(g.value) ?? 'null'; break; }
      }
      const text = `{"a":[{"${key}":${inner}}]}`;
      return { value: JSON.parse(text), hostile: key !== 'ok' };
    }
    if (mode < 0.95) {
      const depth = pick([33, 100, 10_000, 200_000]);
      return { value: nest(depth, rand() < 0.5), hostile: true };
    }
    const many: Record<string, number> = {};
    for (let i = 0; i < 10_001; i += 1) many['k' + i] = i;
    return { value: many, hostile: true };
  };
}

const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

/** Walks a sanitized value (iteratively) and asserts it is plain, safe JSON. */
function assertSafeJson(value: unknown, seedInfo: string): void {
  const stack: { v: unknown; depth: number }[] = [{ v: value, depth: 0 }];
  let keys = 0;
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const { v, depth } = item;
    if (v === null || typeof v !== 'object') {
      assert.ok(['string', 'number', 'boolean'].includes(typeof v) || v === null, seedInfo);
      if (typeof v === 'number') assert.ok(Number.isFinite(v), seedInfo);
      if (typeof v === 'string') assert.ok(v.isWellFormed(), seedInfo);
      continue;
    }
    assert.ok(depth < 32, `${seedInfo}: depth`);
    if (Array.isArray(v)) {
      assert.equal(Object.getPrototypeOf(v), Array.prototype, seedInfo);
      for (const x of v) stack.push({ v: x, depth: depth + 1 });
      continue;
    }
    assert.equal(Object.getPrototypeOf(v), Object.prototype, `${seedInfo}: rebuilt objects have the normal prototype`);
    for (const key of Reflect.ownKeys(v)) {
      assert.equal(typeof key, 'string', seedInfo);
      const k = key as string;
      assert.ok(!FORBIDDEN.has(k), `${seedInfo}: forbidden key ${k} let through`);
      assert.ok(!/[\u0000-\u001f\u007f]/.test(k), `${seedInfo}: control char key let through`);
      keys += 1;
      stack.push({ v: (v as Record<string, unknown>)[k], depth: depth + 1 });
    }
  }
  assert.ok(keys <= 10_000, `${seedInfo}: too many keys`);
}

function assertWellFormedErrors(errors: unknown, seedInfo: string): void {
  assert.ok(Array.isArray(errors) && errors.length >= 1 && errors.length <= 20, seedInfo);
  for (const e of errors as { instancePath: unknown; message: unknown }[]) {
    assert.equal(typeof e.instancePath, 'string', seedInfo);
    assert.ok(e.instancePath === '' || (e.instancePath as string).startsWith('/'), seedInfo);
    assert.equal(typeof e.message, 'string', seedInfo);
  }
}

function fuzzTools(): RegisteredTool[] {
  const schemas = [
    { type: 'object', additionalProperties: false, required: ['text'], properties: { text: { type: 'string', maxLength: 100 } } },
    { type: 'object' },
    { type: 'object', properties: { a: { type: 'array', items: { anyOf: [{ type: 'number' }, { type: 'string' }, { type: 'null' }] } }, data: {} }, additionalProperties: { type: 'object' } },
  ];
  const r = buildRegistry(schemas.map((input_schema, i) => ({
    dir: `/virtual/fuzz${i}`,
    handler: 'return args;',
    manifest: { name: `fuzz${i}`, description: 'fuzz', input_schema, output_schema: i === 1 ? {} : input_schema, risk: 'low', requires_approval: false },
  })));
  assert.equal(r.ok, true, r.ok ? '' : r.problems.join('\n'));
  if (!r.ok) return [];
  return r.registry.list().map((t) => r.registry.get(t.name)).filter((t): t is RegisteredTool => t !== undefined);
}

test(`sanitize + validate never throw and never let a forbidden key through (seed ${SEED}, ${ITERATIONS} cases)`, { timeout: 300_000 }, () => {
  const rand = mulberry32(SEED);
  const next = makeGenerator(rand);
  const tools = fuzzTools();
  let accepted = 0;
  let refused = 0;
  for (let i = 0; i < ITERATIONS; i += 1) {
    const seedInfo = `seed ${SEED} case ${i}`;
    const { value, hostile } = next();
    const s = sanitizeArgs(value);
    assert.equal(typeof s.ok, 'boolean', seedInfo);
    if (!s.ok) {
      refused += 1;
      assert.ok(s.code === 'GW_ERR_VALIDATION' || s.code === 'GW_ERR_FORBIDDEN_KEY', seedInfo);
      assertWellFormedErrors(s.errors, seedInfo);
    } else {
      accepted += 1;
      assert.equal(hostile, false, `${seedInfo}: a planted hostile value was accepted`);
      assertSafeJson(s.value, seedInfo);
      assert.equal(JSON.stringify(s.value), JSON.stringify(value), `${seedInfo}: copy differs from input`);
      for (const tool of tools) {
        const v = validateArgs(tool, s.value);
        if (!v.ok) {
          assert.equal(v.code, 'GW_ERR_VALIDATION', seedInfo);
          assertWellFormedErrors(v.errors, seedInfo);
        }
        const res = validateResult(tool, s.value, 4096);
        if (!res.ok) {
          assert.ok(res.code === 'SBX_ERR_BAD_OUTPUT' || res.code === 'SBX_ERR_OUTPUT_TOO_LARGE', seedInfo);
          assert.ok(res.message.length <= 1025, seedInfo);
        }
      }
    }
    if (!hostile) assert.equal(s.ok, true, `${seedInfo}: a clean value was refused: ${JSON.stringify(s)}`);
    // raw hostile values straight into the later steps must not throw either
    for (const tool of tools) {
      validateArgs(tool, value);
      validateResult(tool, value);
    }
  }
  assert.ok(accepted > 100 && refused > 100, `both outcomes exercised (accepted ${accepted}, refused ${refused})`);
  assert.equal(({} as Record<string, unknown>)['x'], undefined, 'Object.prototype not polluted');
  assert.equal(Object.getPrototypeOf({}), Object.prototype);
});
