/**
 * Validation steps of the tool-call pipeline, as pure functions over a registered tool:
 * checkToolName (before lookup), validateArgs (sanitized args against input_schema) and
 * validateResult (a worker's result against size and output_schema). Error lists are
 * bounded and built only from ajv's messages and paths: the input value is never echoed.
 */
import type { ErrorObject } from 'ajv';
import type { RegisteredTool } from './registry.ts';
import type { ArgError } from './sanitize.ts';

export const MAX_TOOL_NAME_CHARS = 256;
export const MAX_REPORTED_ERRORS = 20;
export const DEFAULT_MAX_RESULT_BYTES = 256 * 1024;
const MAX_PATH_CHARS = 512;
const MAX_MESSAGE_CHARS = 300;

export type NameCheck =
  | { readonly ok: true; readonly name: string }
  | { readonly ok: false; readonly code: 'GW_ERR_VALIDATION'; readonly status: 422; readonly errors: readonly ArgError[] };

export type ArgsCheck = { readonly ok: true } | { readonly ok: false; readonly code: 'GW_ERR_VALIDATION'; readonly errors: readonly ArgError[] };

export type ResultCheck =
  | { readonly ok: true }
  | { readonly ok: false; readonly code: 'SBX_ERR_OUTPUT_TOO_LARGE' | 'SBX_ERR_BAD_OUTPUT'; readonly message: string };

function clip(s: string, max: number): string {
  return s.length > max ? s.slice(0, max) + '…' : s;
}

function toArgErrors(errors: readonly ErrorObject[] | null | undefined): ArgError[] {
  const list = (errors ?? []).slice(0, MAX_REPORTED_ERRORS).map((e) => ({
    instancePath: clip(e.instancePath, MAX_PATH_CHARS),
    message: clip(e.message ?? 'is invalid', MAX_MESSAGE_CHARS),
  }));
  return list.length > 0 ? list : [{ instancePath: '', message: 'is invalid' }];
}

/** 422 unless `name` is a string of 1..256 characters (code points). */
export function checkToolName(name: unknown): NameCheck {
  const fail = (message: string): NameCheck => ({
    ok: false, code: 'GW_ERR_VALIDATION', status: 422, errors: [{ instancePath: '/tool', message }],
  });
  if (typeof name !== 'string') return fail('must be a string');
  if (name.length === 0) return fail('must not be empty');
  // a UTF-16 length within the limit is always within it in code points; count only when needed
  if (name.length > MAX_TOOL_NAME_CHARS && (name.length > 2 * MAX_TOOL_NAME_CHARS || [...name].length > MAX_TOOL_NAME_CHARS)) {
    return fail(`must NOT have more than ${MAX_TOOL_NAME_CHARS} characters`);
  }
  return { ok: true, name };
}

/** Validates sanitized args against the tool's compiled input_schema. Never throws. */
export function validateArgs(tool: RegisteredTool, args: unknown): ArgsCheck {
  try {
    if (tool.validateInput(args)) return { ok: true };
    return { ok: false, code: 'GW_ERR_VALIDATION', errors: toArgErrors(tool.validateInput.errors) };
  } catch {
    return { ok: false, code: 'GW_ERR_VALIDATION', errors: [{ instancePath: '', message: 'could not be validated' }] };
  }
}

/** Checks a worker's result: JSON-serializable, ≤ maxBytes as UTF-8 JSON, matches output_schema. */
export function validateResult(tool: RegisteredTool, value: unknown, maxBytes: number = DEFAULT_MAX_RESULT_BYTES): ResultCheck {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    return { ok: false, code: 'SBX_ERR_BAD_OUTPUT', message: 'result is not serializable as JSON' };
  }
  if (text === undefined) return { ok: false, code: 'SBX_ERR_BAD_OUTPUT', message: 'result is not a JSON value' };
  // every UTF-16 unit takes at least one UTF-8 byte, so a long string is too large outright
  if (text.length > maxBytes || Buffer.byteLength(text, 'utf8') > maxBytes) {
    return { ok: false, code: 'SBX_ERR_OUTPUT_TOO_LARGE', message: `result exceeds ${maxBytes} bytes` };
  }
  try {
    if (tool.validateOutput(value)) return { ok: true };
    const first = toArgErrors(tool.validateOutput.errors)[0];
    const where = first?.instancePath === '' || first === undefined ? '/' : first.instancePath;
    return {
      ok: false,
      code: 'SBX_ERR_BAD_OUTPUT',
      message: clip(`result does not match the tool's output_schema at ${where}: ${first?.message ?? 'is invalid'}`, 1024),
    };
  } catch {
    return { ok: false, code: 'SBX_ERR_BAD_OUTPUT', message: 'result could not be validated' };
  }
}
