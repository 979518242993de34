/**
 * Function-calling fields of an OpenAI-style chat request (`tools`, `tool_choice`,
 * `response_format`, `parallel_tool_calls`) and of its messages (`tool_calls`,
 * `tool_call_id`), rebuilt from untrusted input with size caps. Only the OpenAI wire
 * (OpenAI, OpenRouter and other OpenAI-compatible servers) carries them upstream.
 */
import { obj } from './adapters/stream-parse.ts';

export interface ToolCall {
  readonly id: string;
  readonly name: string;
  /** the JSON text the model produced; passed through, never parsed here */
  readonly arguments: string;
}

export interface ToolFields {
  readonly tools?: readonly Readonly<Record<string, unknown>>[];
  readonly toolChoice?: string | Readonly<Record<string, unknown>>;
  readonly responseFormat?: Readonly<Record<string, unknown>>;
  readonly parallelToolCalls?: boolean;
}

export const TOOL_LIMITS = {
  maxTools: 128,
  maxToolCalls: 128,
  maxDescriptionChars: 8192,
  maxArgumentsChars: 64 * 1024,
  maxIdChars: 128,
} as const;

export const TOOL_NAME_RE = /^[A-Za-z0-9_-]{1,64}$/;

function isName(v: unknown): v is string {
  return typeof v === 'string' && TOOL_NAME_RE.test(v);
}

function isId(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= TOOL_LIMITS.maxIdChars && /^[\x21-\x7e]+$/.test(v);
}

/** Rebuilds one `tool_calls` entry of an assistant message; undefined when malformed. */
export function parseToolCall(value: unknown): ToolCall | undefined {
  const o = obj(value);
  const fn = obj(o?.['function']);
  if (!o || !fn || (o['type'] !== undefined && o['type'] !== 'function')) return undefined;
  const args = fn['arguments'];
  if (!isId(o['id']) || !isName(fn['name']) || typeof args !== 'string' || args.length > TOOL_LIMITS.maxArgumentsChars) return undefined;
  return { id: o['id'], name: fn['name'], arguments: args };
}

/** The request-level fields; each problem is pushed to `problems`. */
export function parseToolFields(o: Readonly<Record<string, unknown>>, problems: string[]): ToolFields {
  const out: { -readonly [K in keyof ToolFields]: ToolFields[K] } = {};
  const tools = o['tools'];
  if (tools !== undefined) {
    if (!Array.isArray(tools) || tools.length > TOOL_LIMITS.maxTools) problems.push(`tools must be an array of at most ${TOOL_LIMITS.maxTools}`);
    else {
      const rebuilt: Record<string, unknown>[] = [];
      tools.forEach((t: unknown, i) => {
        const to = obj(t);
        const fn = obj(to?.['function']);
        if (!to || to['type'] !== 'function' || !fn || !isName(fn['name'])) {
          problems.push(`tools[${i}] must be {type:"function", function:{name}} with a name of 1..64 [A-Za-z0-9_-]`);
          return;
        }
        const f: Record<string, unknown> = { name: fn['name'] };
        const d = fn['description'];
        if (d !== undefined) {
          if (typeof d !== 'string' || d.length > TOOL_LIMITS.maxDescriptionChars) problems.push(`tools[${i}].function.description must be a string up to ${TOOL_LIMITS.maxDescriptionChars} chars`);
          else f['description'] = d;
        }
        if (fn['parameters'] !== undefined) {
          if (!obj(fn['parameters'])) problems.push(`tools[${i}].function.parameters must be a JSON Schema object`);
          else f['parameters'] = fn['parameters'];
        }
        if (typeof fn['strict'] === 'boolean') f['strict'] = fn['strict'];
        rebuilt.push({ type: 'function', function: f });
      });
      out.tools = rebuilt;
    }
  }
  const choice = o['tool_choice'];
  if (choice !== undefined) {
    const co = obj(choice);
    if (choice === 'none' || choice === 'auto' || choice === 'required') out.toolChoice = choice;
    else if (co && co['type'] === 'function' && isName(obj(co['function'])?.['name'])) out.toolChoice = { type: 'function', function: { name: obj(co['function'])?.['name'] } };
    else problems.push('tool_choice must be none, auto, required or {type:"function", function:{name}}');
  }
  const format = o['response_format'];
  if (format !== undefined) {
    const fo = obj(format);
    const type = fo?.['type'];
    if (type === 'text' || type === 'json_object') out.responseFormat = { type };
    else if (type === 'json_schema') {
      const js = obj(fo?.['json_schema']);
      if (!js || !isName(js['name']) || (js['schema'] !== undefined && !obj(js['schema']))) problems.push('response_format.json_schema must be {name, schema?, strict?, description?}');
      else {
        const rebuilt: Record<string, unknown> = { name: js['name'] };
        if (js['schema'] !== undefined) rebuilt['schema'] = js['schema'];
        if (typeof js['strict'] === 'boolean') rebuilt['strict'] = js['strict'];
        if (typeof js['description'] === 'string' && js['description'].length <= TOOL_LIMITS.maxDescriptionChars) rebuilt['description'] = js['description'];
        out.responseFormat = { type, json_schema: rebuilt };
      }
    } else problems.push('response_format.type must be text, json_object or json_schema');
  }
  const parallel = o['parallel_tool_calls'];
  if (parallel !== undefined) {
    if (typeof parallel !== 'boolean') problems.push('parallel_tool_calls must be a boolean');
    else out.parallelToolCalls = parallel;
  }
  return out;
}

export function usesToolFields(f: ToolFields, messages: readonly { readonly role: string; readonly toolCalls?: readonly ToolCall[] }[]): boolean {
  return f.tools !== undefined || f.toolChoice !== undefined || f.responseFormat !== undefined || f.parallelToolCalls !== undefined
    || messages.some((m) => m.role === 'tool' || (m.toolCalls !== undefined && m.toolCalls.length > 0));
}
