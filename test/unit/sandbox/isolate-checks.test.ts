/** Pure decisions of the isolate backend: result checks, child-end mapping, health, options, tags. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HOST_EXIT } from '../../../sandbox/isolate/exit-codes.ts';
import { computeHealth, HealthTracker } from '../../../sandbox/isolate/health.ts';
import { hostOptionArgs, parseHostOptions } from '../../../sandbox/isolate/host-options.ts';
import { checkJsonText, checkJsonValue, jsonDepthExceeds } from '../../../sandbox/isolate/json-check.ts';
import { checkReply, codeForChildEnd } from '../../../sandbox/isolate/result-check.ts';
import { decodeTagged } from '../../../sandbox/isolate/run-in-isolate.ts';
import type { HealthChange } from '../../../sandbox/worker-backend.ts';

const nest = (depth: number): unknown => {
  let v: unknown = 0;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
};

describe('json checks', () => {
  it('measures depth without recursion, even 1e6 deep', () => {
    assert.equal(jsonDepthExceeds(nest(256)), false);
    assert.equal(jsonDepthExceeds(nest(257)), true);
    assert.equal(jsonDepthExceeds(nest(1_000_000)), true);
  });

  it('checks byte size in UTF-8, then JSON, then depth', () => {
    assert.deepEqual(checkJsonText('"éé"', 6), { ok: true, value: 'éé', bytes: 6 });
    assert.equal(checkJsonText('"éé"', 5).ok ? 'ok' : (checkJsonText('"éé"', 5) as { code: string }).code, 'SBX_ERR_OUTPUT_TOO_LARGE');
    const notJson = checkJsonText('{nope', 100);
    assert.equal(notJson.ok ? 'ok' : notJson.code, 'SBX_ERR_BAD_OUTPUT');
    const deep = checkJsonValue(nest(300), 1 << 20);
    assert.equal(deep.ok ? 'ok' : deep.code, 'SBX_ERR_BAD_OUTPUT');
  });
});

describe('isolate result tags', () => {
  it('maps each tag to its outcome', () => {
    assert.deepEqual(decodeTagged('J{"a":1}', 100), { ok: true, value: { a: 1 } });
    assert.deepEqual(decodeTagged('O', 100), { ok: false, code: 'SBX_ERR_OUTPUT_TOO_LARGE', message: 'result exceeds 100 bytes' });
    assert.equal((decodeTagged('Uundefined', 100) as { code: string }).code, 'SBX_ERR_BAD_OUTPUT');
    assert.deepEqual(decodeTagged('Eboom', 100), { ok: false, code: 'TOOL_ERR_THROWN', message: 'boom' });
    assert.equal((decodeTagged('EArray buffer allocation failed', 100) as { code: string }).code, 'SBX_ERR_MEMORY_LIMIT');
    for (const raw of [undefined, 42, '', 'Xjunk', { a: 1 }]) assert.equal((decodeTagged(raw, 100) as { code: string }).code, 'SBX_ERR_BAD_OUTPUT');
    assert.equal((decodeTagged(`J"${'x'.repeat(200)}"`, 100) as { code: string }).code, 'SBX_ERR_OUTPUT_TOO_LARGE');
  });
});

describe('worker reply checks', () => {
  it('accepts a value within size and a worker error code', () => {
    assert.deepEqual(checkReply({ t: 'result', id: 'j', ok: true, value: [1] }, 100), { kind: 'ok', value: [1] });
    assert.deepEqual(checkReply({ t: 'result', id: 'j', ok: false, code: 'TOOL_ERR_THROWN', message: 'x' }, 100), {
      kind: 'failed', code: 'TOOL_ERR_THROWN', message: 'x',
    });
  });

  it('refuses an oversized value and treats supervisor-only codes as a protocol violation', () => {
    const big = checkReply({ t: 'result', id: 'j', ok: true, value: 'x'.repeat(200) }, 100);
    assert.equal(big.kind === 'failed' ? big.code : big.kind, 'SBX_ERR_OUTPUT_TOO_LARGE');
    for (const code of ['SBX_ERR_SATURATED', 'SBX_ERR_ABORTED', 'SBX_ERR_UNAVAILABLE'] as const) {
      assert.equal(checkReply({ t: 'result', id: 'j', ok: false, code, message: '' }, 100).kind, 'violation');
    }
  });

  it('maps how a child ended to the code of its in-flight calls, without leaking stderr', () => {
    const oom = codeForChildEnd({ kind: 'exited', code: null, signal: 'SIGABRT', stderrTail: 'FATAL ERROR: JavaScript heap out of memory' });
    assert.equal(oom.code, 'SBX_ERR_MEMORY_LIMIT');
    assert.ok(!oom.message.includes('FATAL'));
    assert.equal(codeForChildEnd({ kind: 'exited', code: HOST_EXIT.catastrophic, signal: null, stderrTail: '' }).code, 'SBX_ERR_WORKER_CRASHED');
    assert.equal(codeForChildEnd({ kind: 'protocol', detail: 'x' }).code, 'SBX_ERR_WORKER_CRASHED');
    assert.equal(codeForChildEnd({ kind: 'killed', why: 'x' }).code, 'SBX_ERR_WORKER_CRASHED');
    const secret = codeForChildEnd({ kind: 'exited', code: 1, signal: null, stderrTail: 'secret-token-123' });
    assert.ok(!secret.message.includes('secret'));
  });
});

describe('backend health', () => {
  const base = { closed: false, started: true, children: 2, ready: 2, failing: 0 };
  it('is healthy with every child ready, degraded with some, down when none can start or when closed', () => {
    assert.equal(computeHealth(base).state, 'healthy');
    assert.equal(computeHealth({ ...base, ready: 1 }).state, 'degraded');
    assert.equal(computeHealth({ ...base, ready: 0, failing: 1 }).state, 'degraded');
    assert.equal(computeHealth({ ...base, ready: 0, failing: 2 }).state, 'down');
    assert.equal(computeHealth({ ...base, started: false }).state, 'down');
    assert.equal(computeHealth({ ...base, closed: true }).state, 'down');
  });

  it('emits only transitions, and survives a throwing listener', () => {
    const tracker = new HealthTracker();
    const seen: HealthChange[] = [];
    tracker.subscribe(() => {
      throw new Error('bad listener');
    });
    const unsubscribe = tracker.subscribe((c) => seen.push(c));
    tracker.update({ state: 'healthy' });
    tracker.update({ state: 'healthy' });
    tracker.update({ state: 'degraded', detail: '1/2' });
    unsubscribe();
    tracker.update({ state: 'healthy' });
    assert.deepEqual(seen, [
      { backend: 'isolate', from: 'down', to: 'healthy', detail: 'healthy' },
      { backend: 'isolate', from: 'healthy', to: 'degraded', detail: '1/2' },
    ]);
  });
});

describe('host options', () => {
  it('parses known options within bounds and rejects anything else', () => {
    const ok = parseHostOptions(['--pool-size=3', '--max-calls=10', '--memory-mb=32']);
    assert.deepEqual(ok, { ok: true, options: { poolSize: 3, maxCallsPerIsolate: 10, defaultMemoryMb: 32 } });
    for (const bad of [['--pool-size=-1'], ['--max-calls=0'], ['--memory-mb=4'], ['--eval=1'], ['--pool-size=1.5'], ['--pool-size']]) {
      assert.equal(parseHostOptions(bad).ok, false, bad.join(' '));
    }
    assert.deepEqual(parseHostOptions(hostOptionArgs({ poolSize: 1, maxCallsPerIsolate: 5 })), {
      ok: true, options: { poolSize: 1, maxCallsPerIsolate: 5, defaultMemoryMb: 64 },
    });
  });
});
