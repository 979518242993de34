/** Shared helpers for tests of the isolate backend and the built-in actions (real child processes). */
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILTIN_ACTIONS_DIR, readToolDir } from '../../sandbox/actions/load.ts';
import { createIsolateBackend, type IsolateBackendOptions } from '../../sandbox/isolate/backend.ts';
import { HOST_NODE_FLAGS } from '../../sandbox/isolate/exit-codes.ts';
import type { JsonValue } from '../../sandbox/json.ts';
import type { WorkerLimits } from '../../sandbox/limits.ts';
import type { WorkerBackend, WorkerJob, WorkerResult } from '../../sandbox/worker-backend.ts';

export const FAKE_CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'isolate-fake-child.ts');

/** Built-in action handlers by manifest name. */
export const ACTION_HANDLERS: ReadonlyMap<string, string> = new Map(
  readToolDir(BUILTIN_ACTIONS_DIR).map((tool) => [(tool.manifest as { name: string }).name, tool.handler]),
);

export function limits(overrides: Partial<WorkerLimits> = {}): WorkerLimits {
  return { timeoutMs: 1000, memoryMb: 64, maxOutputBytes: 256 * 1024, ...overrides };
}

export function job(handler: string, args: JsonValue = {}, tool = 'test'): WorkerJob {
  return { callId: `call-${tool}`, tool, handler, args };
}

/** Built-in actions whose manifest says `"trusted": true` (they run in the hardened realm). */
export const TRUSTED_ACTIONS: ReadonlySet<string> = new Set(
  readToolDir(BUILTIN_ACTIONS_DIR).filter((tool) => (tool.manifest as { trusted?: unknown }).trusted === true).map((tool) => (tool.manifest as { name: string }).name),
);

/** A job for a built-in action, in the execution mode its manifest chooses (as dispatch.ts does). */
export function action(name: string, args: JsonValue): WorkerJob {
  const handler = ACTION_HANDLERS.get(name);
  assert.ok(handler !== undefined, `no built-in action ${name}`);
  return { ...job(handler, args, name), ...(TRUSTED_ACTIONS.has(name) ? { trusted: true } : {}) };
}

/** Starts a backend; inside an `it`, pass `t.after` as `cleanup` (suites close it in `after`). */
export async function startBackend(
  options: IsolateBackendOptions = {},
  cleanup?: (fn: () => Promise<void>) => void,
): Promise<WorkerBackend> {
  const backend = createIsolateBackend({ readyTimeoutMs: 30_000, ...options });
  cleanup?.(() => backend.close());
  await backend.start();
  return backend;
}

/** Options that make the backend spawn the fake child in `mode` (see isolate-fake-child.ts). */
export function fakeChild(mode: string, marker = '-'): Pick<IsolateBackendOptions, 'command'> {
  return { command: { command: process.execPath, args: [...HOST_NODE_FLAGS, FAKE_CHILD, mode, marker] } };
}

export function assertFailed(result: WorkerResult, codes: readonly string[]): void {
  assert.equal(result.ok, false, `expected a failure, got ${JSON.stringify(result).slice(0, 300)}`);
  if (!result.ok) assert.ok(codes.includes(result.code), `code ${result.code} (${result.message}) not in ${codes.join(', ')}`);
}

/** The property every bad input must keep: the next call works and the backend is healthy. */
export async function assertRecovered(backend: WorkerBackend): Promise<void> {
  const next = await backend.run(action('echo', { text: 'still alive' }), limits({ timeoutMs: 5000 }));
  assert.deepEqual(next.ok ? next.value : next, { text: 'still alive' });
  assert.equal(backend.health().state, 'healthy');
}
