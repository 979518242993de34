/**
 * The real built-in actions (sandbox/actions, read with readToolDir) run in the Docker backend:
 * the js.eval action's agent code is what a hostile agent controls.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { readToolDir, BUILTIN_ACTIONS_DIR, type RawTool } from '../../sandbox/actions/load.ts';
import { createDockerBackend } from '../../sandbox/docker/backend.ts';
import type { JsonValue } from '../../sandbox/json.ts';
import type { WorkerBackend, WorkerResult } from '../../sandbox/worker-backend.ts';
import { dockerSkipReason } from '../support/docker-env.ts';

const skip = await dockerSkipReason();
const LIMITS = { timeoutMs: 20_000, memoryMb: 64, maxOutputBytes: 256 * 1024 };

describe('built-in actions in docker', { skip, timeout: 300_000 }, () => {
  let backend: WorkerBackend;
  const tools = new Map<string, RawTool>();
  let n = 0;
  const run = (tool: string, args: JsonValue): Promise<WorkerResult> => {
    const raw = tools.get(tool);
    assert.ok(raw !== undefined, `missing built-in ${tool}`);
    n += 1;
    return backend.run({ callId: `act-${n}`, tool, handler: raw.handler, args }, LIMITS);
  };

  before(async () => {
    for (const tool of readToolDir(BUILTIN_ACTIONS_DIR)) {
      const name = (tool.manifest as { name?: unknown }).name;
      if (typeof name === 'string') tools.set(name, tool);
    }
    backend = createDockerBackend({ enabled: true, layer: 'process', poolSize: 1 });
    await backend.start();
  });
  after(async () => {
    await backend?.close();
  });

  test('echo returns its text', async () => {
    assert.deepEqual(await run('echo', { text: 'hello' }).then((r) => r.ok && r.value), { text: 'hello' });
  });

  test('js.eval runs agent code with input and returns its JSON value', async () => {
    const r = await run('js.eval', { code: 'return input.map((x) => x * 2);', input: [1, 2, 3] });
    assert.deepEqual(r.ok && r.value, [2, 4, 6]);
  });

  test('js.eval agent code reaching for the network, a shell or the host env is refused', async () => {
    const r = await run('js.eval', {
      code: `
        const cp = process.getBuiltinModule('node:child_process');
        let shell; try { cp.execSync('id'); shell = 'ran'; } catch (e) { shell = e.code; }
        const fetched = await fetch('http://127.0.0.1:9/').then(() => 'fetched', (e) => String(e.cause?.code ?? e.message));
        return { shell, fetched, env: Object.keys(process.env).sort() };`,
    });
    assert.ok(r.ok, JSON.stringify(r));
    const out = r.ok ? (r.value as { shell: string; fetched: string; env: string[] }) : undefined;
    assert.equal(out?.shell, 'EPERM');
    assert.notEqual(out?.fetched, 'fetched');
    assert.deepEqual(out?.env, ['HOME', 'HOSTNAME', 'MALLOC_MMAP_THRESHOLD_', 'PATH'], 'Docker\'s three and the fixed WORKER_ENV entry, nothing from the host');
  });

  test('js.eval agent code that loops forever ends with SBX_ERR_TIMEOUT', async () => {
    const r = await backend.run({ callId: 'act-loop', tool: 'js.eval', handler: tools.get('js.eval')?.handler ?? '', args: { code: 'while (true) {}' } }, { ...LIMITS, timeoutMs: 1_000 });
    assert.ok(!r.ok && r.code === 'SBX_ERR_TIMEOUT');
  });
});
