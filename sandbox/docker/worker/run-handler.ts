/**
 * Runs one job's handler (the body of an async function with `args` in scope) and turns the
 * outcome into a protocol result. The result is serialised here so its size can be checked
 * against maxOutputBytes before it is sent; a thrown error contributes only its message.
 */
import type { RunMessage } from '../../ipc/messages.ts';

type AsyncFn = (args: unknown) => Promise<unknown>;
const AsyncFunction = Object.getPrototypeOf(async function () {}).constructor as new (
  param: string,
  body: string,
) => AsyncFn;

const MAX_MESSAGE = 1024;

export type RunOutcome =
  | { t: 'result'; id: string; ok: true; value: unknown }
  | { t: 'result'; id: string; ok: false; code: string; message: string };

function errorMessage(error: unknown): string {
  let text = 'error';
  try {
    if (typeof error === 'object' && error !== null && 'message' in error) text = String(error.message);
    else text = String(error);
  } catch {
    text = 'error';
  }
  return text.slice(0, MAX_MESSAGE);
}

export async function runHandler(job: RunMessage): Promise<RunOutcome> {
  let value: unknown;
  try {
    const fn = new AsyncFunction('args', job.handler);
    value = await fn(job.args);
  } catch (error) {
    return { t: 'result', id: job.id, ok: false, code: 'TOOL_ERR_THROWN', message: errorMessage(error) };
  }
  let text: string | undefined;
  let why = '';
  try {
    text = JSON.stringify(value === undefined ? null : value);
  } catch (error) {
    text = undefined;
    why = ` (${errorMessage(error).slice(0, 200)})`;
  }
  if (text === undefined) {
    return { t: 'result', id: job.id, ok: false, code: 'SBX_ERR_BAD_OUTPUT', message: `result is not JSON${why}` };
  }
  if (Buffer.byteLength(text, 'utf8') > job.maxOutputBytes) {
    return { t: 'result', id: job.id, ok: false, code: 'SBX_ERR_OUTPUT_TOO_LARGE', message: 'result exceeds maxOutputBytes' };
  }
  return { t: 'result', id: job.id, ok: true, value: JSON.parse(text) as unknown };
}
