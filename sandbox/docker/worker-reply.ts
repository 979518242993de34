/**
 * Judges one decoded message from a worker container against what the supervisor expects
 * right now. Pure. A container is hostile: anything unexpected (a second `ready`, a result
 * with the wrong id or while idle, a bad shape, an oversized value) is a violation, and the
 * value of an accepted result is rebuilt from its JSON text after the size re-check.
 */
import { WORKER_REPORTABLE_CODES, type SandboxErrorCode } from '../errors.ts';
import { parseWorkerMessage } from '../ipc/messages.ts';
import type { JsonValue } from '../json.ts';

export type Expectation =
  | { readonly phase: 'starting' }
  | { readonly phase: 'idle' }
  | { readonly phase: 'busy'; readonly id: string; readonly maxOutputBytes: number };

export type JobOutcome =
  | { readonly ok: true; readonly value: JsonValue }
  | { readonly ok: false; readonly code: SandboxErrorCode; readonly message: string };

export type Judgement =
  | { readonly kind: 'ready' }
  | { readonly kind: 'result'; readonly outcome: JobOutcome }
  | { readonly kind: 'violation'; readonly code: SandboxErrorCode; readonly message: string };

const violation = (message: string): Judgement => ({ kind: 'violation', code: 'SBX_ERR_BAD_OUTPUT', message });

export function judgeReply(raw: unknown, expecting: Expectation): Judgement {
  const message = parseWorkerMessage(raw);
  if (message === undefined) return violation('worker broke the protocol');
  if (message.t === 'ready') return expecting.phase === 'starting' ? { kind: 'ready' } : violation('unexpected ready');
  if (expecting.phase !== 'busy') return violation('result while no job is pending');
  if (message.id !== expecting.id) return violation('result for another job');
  if (!message.ok) {
    // handler code shares the worker's process in a container: it must not pick a supervisor-only code
    if (!WORKER_REPORTABLE_CODES.has(message.code)) return violation(`worker reported a supervisor-only code ${message.code}`);
    return { kind: 'result', outcome: { ok: false, code: message.code, message: message.message } };
  }
  let text: string | undefined;
  try {
    text = JSON.stringify(message.value);
  } catch {
    text = undefined;
  }
  if (text === undefined) return violation('result value is not JSON');
  if (Buffer.byteLength(text, 'utf8') > expecting.maxOutputBytes) {
    return { kind: 'result', outcome: { ok: false, code: 'SBX_ERR_OUTPUT_TOO_LARGE', message: 'result exceeds maxOutputBytes' } };
  }
  return { kind: 'result', outcome: { ok: true, value: JSON.parse(text) as JsonValue } };
}

/**
 * The heap size a worker put beside its result (`heapBytes`), used only to retire a
 * container early (a lying worker can only shorten its own life); undefined when absent or not
 * a plausible byte count.
 */
export function reportedHeap(raw: unknown): number | undefined {
  if (typeof raw !== 'object' || raw === null || !('heapBytes' in raw)) return undefined;
  const value = raw.heapBytes;
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

export interface ContainerExit {
  /** the daemon's State.OOMKilled: the kernel OOM-killed a task in the container's cgroup */
  readonly oomKilled: boolean;
  readonly exitCode: number;
  /** the first bytes the container wrote on stderr */
  readonly stderr: string;
}

/**
 * What a container that stopped mid-job gets reported as. SBX_ERR_MEMORY_LIMIT only on the
 * kernel's word (OOMKilled) or V8's own fatal heap message (the worker's heap limit, before the
 * cgroup's); never on exit code 137 alone, which `process.exit(137)` or (under gVisor) a
 * self-SIGKILL of PID 1 produce as well. Everything else is a crash, with its exit code.
 */
export function exitOutcome(exit: ContainerExit): JobOutcome {
  if (exit.oomKilled) return { ok: false, code: 'SBX_ERR_MEMORY_LIMIT', message: 'the container ran out of memory' };
  if (/JavaScript heap out of memory/.test(exit.stderr)) return { ok: false, code: 'SBX_ERR_MEMORY_LIMIT', message: 'the worker ran out of heap' };
  return { ok: false, code: 'SBX_ERR_WORKER_CRASHED', message: `worker exited (code ${exit.exitCode})` };
}
