/**
 * Supervisor-side decisions about what a worker sent or how it ended (pure functions).
 * A worker is never trusted: a result is re-checked for size and depth, an error code must be
 * one a worker may legitimately report, and anything else counts as a protocol violation.
 */
import { WORKER_REPORTABLE_CODES, type SandboxErrorCode } from '../errors.ts';
import type { WorkerMessage } from '../ipc/messages.ts';
import type { JsonValue } from '../json.ts';
import type { ChildEnd } from './child.ts';
import { HOST_EXIT } from './exit-codes.ts';
import { checkJsonValue } from './json-check.ts';

/** Codes a worker may put in a failed result; the rest are supervisor-only. */
const WORKER_CODES = WORKER_REPORTABLE_CODES;

export type ReplyCheck =
  | { readonly kind: 'ok'; readonly value: JsonValue }
  | { readonly kind: 'failed'; readonly code: SandboxErrorCode; readonly message: string }
  | { readonly kind: 'violation'; readonly detail: string };

export function checkReply(reply: Extract<WorkerMessage, { t: 'result' }>, maxOutputBytes: number): ReplyCheck {
  if (reply.ok) {
    const checked = checkJsonValue(reply.value, maxOutputBytes);
    return checked.ok ? { kind: 'ok', value: checked.value } : { kind: 'failed', code: checked.code, message: checked.message };
  }
  if (!WORKER_CODES.has(reply.code)) return { kind: 'violation', detail: `worker reported a supervisor-only code ${reply.code}` };
  return { kind: 'failed', code: reply.code, message: reply.message };
}

const OOM_PATTERN = /heap out of memory|memory limit|allocation failed|out of memory|is_heap_oom = 1/i;

/** What an in-flight call ends with when its child process ended under it. */
export function codeForChildEnd(end: ChildEnd): { readonly code: SandboxErrorCode; readonly message: string } {
  switch (end.kind) {
    case 'killed':
      return { code: 'SBX_ERR_WORKER_CRASHED', message: `the worker was stopped (${end.why})` };
    case 'protocol':
      return { code: 'SBX_ERR_WORKER_CRASHED', message: 'the worker broke the IPC protocol and was restarted' };
    case 'exited':
      if (OOM_PATTERN.test(end.stderrTail)) {
        return { code: 'SBX_ERR_MEMORY_LIMIT', message: 'the worker ran out of memory and was restarted' };
      }
      if (end.code === HOST_EXIT.catastrophic) {
        return { code: 'SBX_ERR_WORKER_CRASHED', message: 'the isolate failed catastrophically; the worker was restarted' };
      }
      return {
        code: 'SBX_ERR_WORKER_CRASHED',
        message: `the worker exited (${end.signal ?? `code ${String(end.code)}`}) and was restarted`,
      };
    default: {
      const never: never = end;
      return { code: 'SBX_ERR_WORKER_CRASHED', message: `unknown end ${String(never)}` };
    }
  }
}
