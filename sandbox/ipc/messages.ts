/**
 * The worker protocol, shared by the isolate host and the docker worker. Both directions
 * are parsed as hostile: a message that does not have exactly the expected shape is
 * rejected, never trusted or passed on as-is.
 */
import { isSandboxErrorCode, type SandboxErrorCode } from '../errors.ts';
import { isPlainObject, type JsonValue } from '../json.ts';

export interface RunMessage {
  readonly t: 'run';
  readonly id: string;
  readonly handler: string;
  readonly args: JsonValue;
  readonly timeoutMs: number;
  readonly memoryMb: number;
  readonly maxOutputBytes: number;
  /** isolate host: run in the long-lived hardened realm (a trusted handler), not a fresh context */
  readonly trusted?: true;
  /**
   * docker worker: the agent the job belongs to (isPrincipal). Untrusted jobs of one principal
   * may share an isolate (a fresh context each); jobs of different principals never do. Absent:
   * the job gets an isolate of its own.
   */
  readonly principal?: string;
}

export type SupervisorMessage = RunMessage | { readonly t: 'shutdown' };

export type WorkerMessage =
  | { readonly t: 'ready' }
  | { readonly t: 'result'; readonly id: string; readonly ok: true; readonly value: JsonValue }
  | {
      readonly t: 'result';
      readonly id: string;
      readonly ok: false;
      readonly code: SandboxErrorCode;
      readonly message: string;
    };

const MAX_ID = 128;
const MAX_MESSAGE = 1024;

function isId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_ID;
}

const MAX_PRINCIPAL = 128;

/** A principal the protocol carries: 1..128 printable ASCII characters, no space or control character. */
export function isPrincipal(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_PRINCIPAL && /^[\x21-\x7e]+$/.test(value);
}

function isPositiveInt(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

/** Parses what a worker sent; `undefined` means the worker broke the protocol. */
export function parseWorkerMessage(raw: unknown): WorkerMessage | undefined {
  if (!isPlainObject(raw)) return undefined;
  if (raw['t'] === 'ready') return { t: 'ready' };
  if (raw['t'] !== 'result' || !isId(raw['id'])) return undefined;
  if (raw['ok'] === true && Object.hasOwn(raw, 'value')) {
    return { t: 'result', id: raw['id'], ok: true, value: raw['value'] as JsonValue };
  }
  if (raw['ok'] === false && isSandboxErrorCode(raw['code'])) {
    const message = typeof raw['message'] === 'string' ? raw['message'].slice(0, MAX_MESSAGE) : '';
    return { t: 'result', id: raw['id'], ok: false, code: raw['code'], message };
  }
  return undefined;
}

/** Parses what the supervisor sent (used inside workers). */
export function parseSupervisorMessage(raw: unknown): SupervisorMessage | undefined {
  if (!isPlainObject(raw)) return undefined;
  if (raw['t'] === 'shutdown') return { t: 'shutdown' };
  if (raw['t'] !== 'run' || !isId(raw['id']) || typeof raw['handler'] !== 'string') return undefined;
  if (!Object.hasOwn(raw, 'args')) return undefined;
  const { timeoutMs, memoryMb, maxOutputBytes } = raw;
  if (!isPositiveInt(timeoutMs) || !isPositiveInt(memoryMb) || !isPositiveInt(maxOutputBytes)) return undefined;
  // a principal that is present must be valid: a malformed one breaks the protocol, it is never
  // dropped (dropping would be safe here, but it would hide a supervisor bug)
  if (Object.hasOwn(raw, 'principal') && !isPrincipal(raw['principal'])) return undefined;
  return {
    t: 'run',
    id: raw['id'],
    handler: raw['handler'],
    args: raw['args'] as JsonValue,
    timeoutMs,
    memoryMb,
    maxOutputBytes,
    ...(raw['trusted'] === true ? { trusted: true as const } : {}),
    ...(isPrincipal(raw['principal']) ? { principal: raw['principal'] } : {}),
  };
}
