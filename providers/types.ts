/**
 * The one internal chat shape every adapter speaks, and the pure parser that rebuilds a chat
 * request from untrusted input (size- and shape-checked, unknown fields dropped by rebuilding).
 */
export type ProviderName = 'openai' | 'anthropic' | 'openrouter' | 'ollama';
export const PROVIDER_NAMES: readonly ProviderName[] = ['openai', 'anthropic', 'openrouter', 'ollama'];

export function isProviderName(value: unknown): value is ProviderName {
  return typeof value === 'string' && (PROVIDER_NAMES as readonly string[]).includes(value);
}

import { parseToolCall, parseToolFields, TOOL_LIMITS, type ToolCall, type ToolFields } from './tool-fields.ts';

export type { ToolCall, ToolFields } from './tool-fields.ts';

export type ChatRole = 'system' | 'user' | 'assistant' | 'tool';

export interface ChatMessage {
  readonly role: ChatRole;
  /** '' for an assistant message that only carries tool calls */
  readonly content: string;
  /** assistant messages: the function calls the model asked for */
  readonly toolCalls?: readonly ToolCall[];
  /** tool messages: the call this result answers */
  readonly toolCallId?: string;
}

export interface ChatRequest extends ToolFields {
  readonly model: string;
  readonly messages: readonly ChatMessage[];
  readonly maxTokens?: number;
  readonly temperature?: number;
}

export interface Usage {
  readonly inputTokens: number;
  readonly outputTokens: number;
}

export type ChatEvent =
  | { readonly type: 'delta'; readonly text: string }
  /** a fragment of a streamed tool call (OpenAI wire): id and name come first, arguments in pieces */
  | { readonly type: 'tool_call'; readonly index: number; readonly id?: string; readonly name?: string; readonly arguments?: string }
  | { readonly type: 'done'; readonly content: string; readonly usage?: Usage; readonly finishReason?: string };

export interface ChatResult {
  readonly content: string;
  readonly toolCalls?: readonly ToolCall[];
  readonly model: string;
  readonly usage?: Usage;
  readonly finishReason?: string;
}

export interface CallContext {
  /** provider API key; undefined for providers that need none (ollama) */
  readonly key?: string;
  readonly signal?: AbortSignal;
}

export const CHAT_LIMITS = {
  maxMessages: 256,
  maxMessageChars: 64 * 1024,
  maxTotalChars: 200 * 1024,
  maxModelChars: 128,
  maxTokens: 32_768,
} as const;

export type ChatRequestCheck = { ok: true; request: ChatRequest } | { ok: false; code: 'PRV_ERR_BAD_REQUEST'; problems: string[] };

const MODEL_RE = /^[A-Za-z0-9][A-Za-z0-9._:/@+-]*$/;

/** Rebuilds `{model, messages, max_tokens?, temperature?}` from untrusted input. */
export function parseChatRequest(input: unknown): ChatRequestCheck {
  const problems: string[] = [];
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return { ok: false, code: 'PRV_ERR_BAD_REQUEST', problems: ['body must be an object'] };
  }
  const o = input as Record<string, unknown>;
  const model = o['model'];
  if (typeof model !== 'string' || model.length === 0 || model.length > CHAT_LIMITS.maxModelChars || !MODEL_RE.test(model)) {
    problems.push('model must be a model identifier');
  }
  const raw = o['messages'];
  const messages: ChatMessage[] = [];
  if (!Array.isArray(raw) || raw.length === 0 || raw.length > CHAT_LIMITS.maxMessages) {
    problems.push(`messages must be an array of 1..${CHAT_LIMITS.maxMessages}`);
  } else {
    let total = 0;
    raw.forEach((m: unknown, i) => {
      const mo = m !== null && typeof m === 'object' && !Array.isArray(m) ? (m as Record<string, unknown>) : undefined;
      const role = mo?.['role'];
      const rawCalls = mo?.['tool_calls'];
      const toolCalls: ToolCall[] = [];
      if (role === 'assistant' && rawCalls !== undefined && rawCalls !== null) {
        if (!Array.isArray(rawCalls) || rawCalls.length > TOOL_LIMITS.maxToolCalls) problems.push(`messages[${i}].tool_calls must be an array of at most ${TOOL_LIMITS.maxToolCalls}`);
        else rawCalls.forEach((c: unknown, j) => {
          const call = parseToolCall(c);
          if (call) toolCalls.push(call);
          else problems.push(`messages[${i}].tool_calls[${j}] must be {id, type:"function", function:{name, arguments}}`);
        });
      }
      // an assistant turn that only calls tools has content null
      const content = mo?.['content'] === null && toolCalls.length > 0 ? '' : mo?.['content'];
      const callId = mo?.['tool_call_id'];
      if (role !== 'system' && role !== 'user' && role !== 'assistant' && role !== 'tool') problems.push(`messages[${i}].role invalid`);
      else if (typeof content !== 'string' || content.length > CHAT_LIMITS.maxMessageChars) problems.push(`messages[${i}].content must be a string up to ${CHAT_LIMITS.maxMessageChars} chars`);
      else if (role === 'tool' && (typeof callId !== 'string' || callId.length === 0 || callId.length > TOOL_LIMITS.maxIdChars)) problems.push(`messages[${i}].tool_call_id is required on a tool message`);
      else {
        total += content.length;
        messages.push({
          role, content,
          ...(toolCalls.length > 0 ? { toolCalls } : {}),
          ...(role === 'tool' ? { toolCallId: callId as string } : {}),
        });
      }
    });
    if (total > CHAT_LIMITS.maxTotalChars) problems.push('messages too long in total');
  }
  const maxTokens = o['max_tokens'] ?? o['maxTokens'];
  if (maxTokens !== undefined && (!Number.isInteger(maxTokens) || (maxTokens as number) < 1 || (maxTokens as number) > CHAT_LIMITS.maxTokens)) {
    problems.push('max_tokens out of range');
  }
  const temperature = o['temperature'];
  if (temperature !== undefined && (typeof temperature !== 'number' || !Number.isFinite(temperature) || temperature < 0 || temperature > 2)) {
    problems.push('temperature must be 0..2');
  }
  const toolFields = parseToolFields(o, problems);
  if (problems.length > 0) return { ok: false, code: 'PRV_ERR_BAD_REQUEST', problems };
  const request: { -readonly [K in keyof ChatRequest]: ChatRequest[K] } = { model: model as string, messages, ...toolFields };
  if (typeof maxTokens === 'number') request.maxTokens = maxTokens;
  if (typeof temperature === 'number') request.temperature = temperature;
  return { ok: true, request };
}
