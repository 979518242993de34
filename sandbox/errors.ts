/**
 * Sandbox error registry (SBX_ERR_*): the codes a tool call can end with inside a worker, plus
 * the supervisor-side refusals, each with a safe message. No HTTP status lives here: the gateway
 * (agent-gateway/tools/execute.ts) maps the refusals (saturated, unavailable) to its own codes;
 * the others are reported inside a 200 `{status:"error"}` body. Built with define-errors.ts,
 * like every layer's registry.
 */
import { defineErrors } from './define-errors.ts';

export const sandboxErrors = defineErrors('SandboxError', ['SBX_ERR_', 'TOOL_ERR_'], {
  SBX_ERR_TIMEOUT: { message: 'The tool exceeded its time limit.' },
  SBX_ERR_MEMORY_LIMIT: { message: 'The tool exceeded its memory limit.' },
  SBX_ERR_OUTPUT_TOO_LARGE: { message: 'The tool output exceeded the size limit.' },
  SBX_ERR_WORKER_CRASHED: { message: 'The worker crashed while running the tool.' },
  SBX_ERR_BAD_OUTPUT: { message: 'The tool returned a value that is not plain JSON.' },
  TOOL_ERR_THROWN: { message: 'The tool threw an error.' },
  SBX_ERR_SATURATED: { message: 'All workers are busy; try again later.' },
  SBX_ERR_UNAVAILABLE: { message: 'The sandbox backend is not available.' },
  SBX_ERR_FRAME_TOO_LARGE: { message: 'An IPC frame exceeded the size limit.' },
  SBX_ERR_BAD_FRAME: { message: 'An IPC frame could not be parsed.' },
  SBX_ERR_ABORTED: { message: 'The call was aborted.' },
  SBX_ERR_KILLED: { message: 'The kill switch was engaged while the tool ran; it was stopped.' },
  SBX_ERR_PRINCIPAL_THROTTLED: { message: 'Too many of this agent\'s jobs crashed, timed out or ran out of memory; its sandbox calls are paused.' },
});

export const SANDBOX_ERRORS = sandboxErrors.definitions;

export type SandboxErrorCode = (typeof sandboxErrors.codes)[number];

export const isSandboxErrorCode = sandboxErrors.isCode;

/**
 * Codes a worker may put in a failed result; the rest are supervisor-only (a worker reporting
 * SBX_ERR_UNAVAILABLE, _SATURATED, _KILLED … would steer the gateway's answer or escape the fault
 * ledger): such a reply is a protocol violation.
 */
export const WORKER_REPORTABLE_CODES: ReadonlySet<SandboxErrorCode> = new Set<SandboxErrorCode>([
  'SBX_ERR_TIMEOUT',
  'SBX_ERR_MEMORY_LIMIT',
  'SBX_ERR_OUTPUT_TOO_LARGE',
  'SBX_ERR_WORKER_CRASHED',
  'SBX_ERR_BAD_OUTPUT',
  'TOOL_ERR_THROWN',
]);
