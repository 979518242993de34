/**
 * Runs one job inside one isolate (host side, in the child process). A fresh context per call
 * (created ahead of time by the pool; trusted handlers use trusted-realm.ts instead);
 * only three primitives go in (args JSON text, handler source, output cap), one string comes
 * out. Limits: isolated-vm's `timeout` (covers the script and its microtasks), a host-side
 * wall race for promises that never settle, and a CPU budget sampled from `isolate.cpuTime`.
 * Any failure retires the isolate (the caller disposes it and creates a new one).
 */
import type ivmType from 'isolated-vm';
import type { SandboxErrorCode } from '../errors.ts';
import type { JsonValue } from '../json.ts';
import { MAX_ERROR_MESSAGE, RUNNER_SOURCE } from './bootstrap.ts';
import { checkJsonText } from './json-check.ts';

export interface IsolateJob {
  readonly handler: string;
  readonly argsJson: string;
  readonly timeoutMs: number;
  readonly maxOutputBytes: number;
  /** CPU time the call may use, ms */
  readonly cpuBudgetMs: number;
}

export type IsolateOutcome =
  | { readonly ok: true; readonly value: JsonValue }
  | { readonly ok: false; readonly code: SandboxErrorCode; readonly message: string };

/** Extra wall time granted over `timeoutMs` before the host gives up on a never-settling promise. */
const HOST_RACE_SLACK_MS = 50;
const CPU_SAMPLE_MS = 20;

const fail = (code: SandboxErrorCode, message: string): IsolateOutcome => ({ ok: false, code, message });

function cpuNs(isolate: ivmType.Isolate): bigint {
  try {
    return isolate.cpuTime;
  } catch {
    return 0n;
  }
}

/** Maps the tagged string produced by RUNNER_SOURCE to an outcome. */
export function decodeTagged(raw: unknown, maxOutputBytes: number): IsolateOutcome {
  if (typeof raw !== 'string' || raw.length === 0) return fail('SBX_ERR_BAD_OUTPUT', 'the isolate returned no result');
  const tag = raw[0];
  const body = raw.slice(1);
  switch (tag) {
    case 'J': {
      const checked = checkJsonText(body, maxOutputBytes);
      return checked.ok ? { ok: true, value: checked.value } : fail(checked.code, checked.message);
    }
    case 'O':
      return fail('SBX_ERR_OUTPUT_TOO_LARGE', `result exceeds ${maxOutputBytes} bytes`);
    case 'U':
      return fail('SBX_ERR_BAD_OUTPUT', `result is not JSON (${body.slice(0, 200)})`);
    case 'E':
      if (body === 'Array buffer allocation failed') return fail('SBX_ERR_MEMORY_LIMIT', body);
      return fail('TOOL_ERR_THROWN', body.slice(0, MAX_ERROR_MESSAGE));
    default:
      return fail('SBX_ERR_BAD_OUTPUT', 'the isolate returned an unknown result');
  }
}

function classifyRejection(isolate: ivmType.Isolate, error: unknown): IsolateOutcome {
  const message = error instanceof Error ? error.message : '';
  if (/memory limit/i.test(message)) return fail('SBX_ERR_MEMORY_LIMIT', 'isolate memory limit reached');
  if (/timed out/i.test(message)) return fail('SBX_ERR_TIMEOUT', 'time limit reached');
  if (isolate.isDisposed) return fail('SBX_ERR_MEMORY_LIMIT', 'isolate was disposed during the call');
  return fail('TOOL_ERR_THROWN', 'the call failed inside the isolate');
}

/**
 * Races one evaluation against the call's limits: a host-side wall timer (promises that never
 * settle) and a CPU budget sampled from `isolate.cpuTime`; either disposes the isolate.
 */
export async function raceInIsolate(isolate: ivmType.Isolate, job: Pick<IsolateJob, 'timeoutMs' | 'maxOutputBytes' | 'cpuBudgetMs'>,
  evaluate: () => Promise<unknown>): Promise<IsolateOutcome> {
  let stopReason: 'wall' | 'cpu' | undefined;
  let wall: NodeJS.Timeout | undefined;
  let sampler: NodeJS.Timeout | undefined;
  try {
    const cpuStart = cpuNs(isolate);
    const budgetNs = BigInt(job.cpuBudgetMs) * 1_000_000n;
    const evaluation = evaluate();
    const stopped = new Promise<'stopped'>((resolve) => {
      const stop = (why: 'wall' | 'cpu'): void => {
        stopReason ??= why;
        try {
          isolate.dispose();
        } catch {
          /* already disposed */
        }
        resolve('stopped');
      };
      wall = setTimeout(() => stop('wall'), job.timeoutMs + HOST_RACE_SLACK_MS);
      sampler = setInterval(() => {
        if (cpuNs(isolate) - cpuStart > budgetNs) stop('cpu');
      }, CPU_SAMPLE_MS);
    });
    evaluation.catch(() => undefined); // settled by the race below when stopped first
    const raw: unknown = await Promise.race([evaluation, stopped]);
    if (stopReason !== undefined) return fail('SBX_ERR_TIMEOUT', stopReason === 'cpu' ? 'CPU budget exhausted' : 'time limit reached');
    return decodeTagged(raw, job.maxOutputBytes);
  } catch (error) {
    if (stopReason !== undefined) return fail('SBX_ERR_TIMEOUT', stopReason === 'cpu' ? 'CPU budget exhausted' : 'time limit reached');
    return classifyRejection(isolate, error);
  } finally {
    clearTimeout(wall);
    clearInterval(sampler);
  }
}

/**
 * Untrusted code: one fresh context per call. `context` is one the pool created ahead of time
 * for this isolate (pool.ts takeContext), or undefined to create it here. Used once, then released.
 */
export async function runInIsolate(isolate: ivmType.Isolate, job: IsolateJob, context?: Promise<ivmType.Context>): Promise<IsolateOutcome> {
  let ctx: ivmType.Context | undefined;
  try {
    ctx = await (context ?? isolate.createContext());
  } catch (error) {
    return classifyRejection(isolate, error);
  }
  const fresh = ctx;
  try {
    return await raceInIsolate(isolate, job, () => fresh.evalClosure(RUNNER_SOURCE, [job.argsJson, job.handler, job.maxOutputBytes], {
      timeout: job.timeoutMs,
      result: { promise: true, copy: true },
    }));
  } finally {
    try {
      fresh.release();
    } catch {
      /* isolate disposed */
    }
  }
}
