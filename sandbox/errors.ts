/**
 * Sandbox error registry (SBX_ERR_*). Codes a tool call can end with inside a worker,
 * plus the supervisor-side refusals. `status` is the HTTP status used when the code
 * refuses a call outright (saturation, unavailable backend); codes that describe a
 * tool failure are reported inside a 200 `{status:"error"}` body instead.
 */
export const SANDBOX_ERRORS = {
  SBX_ERR_TIMEOUT: { status: 200, message: 'The tool exceeded its time limit.' },
  SBX_ERR_MEMORY_LIMIT: { status: 200, message: 'The tool exceeded its memory limit.' },
  SBX_ERR_OUTPUT_TOO_LARGE: { status: 200, message: 'The tool output exceeded the size limit.' },
  SBX_ERR_WORKER_CRASHED: { status: 200, message: 'The worker crashed while running the tool.' },
  SBX_ERR_BAD_OUTPUT: { status: 200, message: 'The tool returned a value that is not plain JSON.' },
  TOOL_ERR_THROWN: { status: 200, message: 'The tool threw an error.' },
  SBX_ERR_SATURATED: { status: 503, message: 'All workers are busy; try again later.' },
  SBX_ERR_UNAVAILABLE: { status: 503, message: 'The sandbox backend is not available.' },
  SBX_ERR_FRAME_TOO_LARGE: { status: 500, message: 'An IPC frame exceeded the size limit.' },
  SBX_ERR_BAD_FRAME: { status: 500, message: 'An IPC frame could not be parsed.' },
  SBX_ERR_ABORTED: { status: 499, message: 'The call was aborted.' },
} as const;

export type SandboxErrorCode = keyof typeof SANDBOX_ERRORS;

export function isSandboxErrorCode(value: unknown): value is SandboxErrorCode {
  return typeof value === 'string' && Object.hasOwn(SANDBOX_ERRORS, value);
}
