/**
 * Writes a chat event stream in the two wire shapes the gateway serves:
 * - Palisade (`/chat/complete?stream=true`): `data: {"delta":…}` frames, then
 *   `data: {"done":true,"content":…,…extras}`; a failure ends with `event: error` and no done.
 * - OpenAI-compatible (`/v1/chat/completions`): chat.completion.chunk frames, then
 *   `data: [DONE]`; a failure ends with `data: {"error":{…}}` and no [DONE].
 * Error frames carry only the PRV_ERR code and its safe message, never upstream text.
 */
import { failureMessage, isProviderFailure, type ProviderFailureCode } from './errors.ts';
import type { SseWriter } from './sse.ts';
import type { ChatEvent, ChatResult, ProviderName, Usage } from './types.ts';

type StreamEvent = ChatEvent | { readonly type: 'provider'; readonly provider: ProviderName };

export type StreamOutcome =
  | { ok: true; content: string; usage?: Usage; provider?: ProviderName }
  | { ok: false; code: ProviderFailureCode; partialContent: string; provider?: ProviderName; clientGone: boolean };

function codeOf(error: unknown): ProviderFailureCode {
  return isProviderFailure(error) ? error.code : 'PRV_ERR_UPSTREAM_NETWORK';
}

type ToolCallEvent = Extract<ChatEvent, { type: 'tool_call' }>;

async function pump(
  events: AsyncIterable<StreamEvent>,
  writer: SseWriter,
  onDelta: (text: string) => void,
  onDone: (content: string, usage: Usage | undefined, finishReason: string | undefined) => void,
  onError: (code: ProviderFailureCode) => void,
  onToolCall: (event: ToolCallEvent) => void = () => {},
): Promise<StreamOutcome> {
  let partial = '';
  let provider: ProviderName | undefined;
  let sent = false;
  /** the first content frame leaves at once; later ones go out with their burst */
  const firstOut = (): void => {
    if (sent) return;
    sent = true;
    writer.flush();
  };
  try {
    for await (const event of events) {
      if (writer.closed) break;
      switch (event.type) {
        case 'provider':
          provider = event.provider;
          break;
        case 'delta':
          partial += event.text;
          onDelta(event.text);
          firstOut();
          await writer.drained();
          break;
        case 'tool_call':
          onToolCall(event);
          firstOut();
          await writer.drained();
          break;
        case 'done':
          onDone(event.content, event.usage, event.finishReason);
          writer.end();
          return { ok: true, content: event.content, ...(event.usage ? { usage: event.usage } : {}), ...(provider ? { provider } : {}) };
        default: {
          const never: never = event;
          throw new Error(`unknown event ${String(never)}`);
        }
      }
    }
    const code: ProviderFailureCode = writer.closed ? 'PRV_ERR_ABORTED' : 'PRV_ERR_BAD_RESPONSE';
    if (!writer.closed) onError(code);
    writer.end();
    return { ok: false, code, partialContent: partial, clientGone: code === 'PRV_ERR_ABORTED', ...(provider ? { provider } : {}) };
  } catch (error) {
    const clientGone = writer.closed;
    const code = clientGone ? 'PRV_ERR_ABORTED' : codeOf(error);
    if (!clientGone) onError(code);
    writer.end();
    return { ok: false, code, partialContent: partial, clientGone, ...(provider ? { provider } : {}) };
  }
}

export function streamPalisadeChat(
  events: AsyncIterable<StreamEvent>,
  writer: SseWriter,
  doneExtras: () => Record<string, unknown> = () => ({}),
): Promise<StreamOutcome> {
  return pump(
    events,
    writer,
    (text) => writer.data({ delta: text }),
    (content) => writer.data({ ...doneExtras(), done: true, content }),
    (code) => writer.event('error', { code, message: failureMessage(code) }),
  );
}

export function streamOpenAiCompatible(
  events: AsyncIterable<StreamEvent>,
  writer: SseWriter,
  meta: { id: string; model: string; created: number },
): Promise<StreamOutcome> {
  const chunk = (delta: Record<string, unknown>, finish: string | null, usage?: Usage): Record<string, unknown> => ({
    id: meta.id,
    object: 'chat.completion.chunk',
    created: meta.created,
    model: meta.model,
    choices: [{ index: 0, delta, finish_reason: finish }],
    ...(usage ? { usage: openAiUsage(usage) } : {}),
  });
  let first = true;
  // a stream ended by its guard (token revoked, lifetime) ends in OpenAI's in-band error shape
  writer.setTerminalFrame((v) => `data: ${JSON.stringify({ error: { message: v.message, type: 'invalid_request_error', code: v.code, param: null } })}\n\n`);
  return pump(
    events,
    writer,
    (text) => {
      writer.data(chunk(first ? { role: 'assistant', content: text } : { content: text }, null));
      first = false;
    },
    (_content, usage, finishReason) => {
      writer.data(chunk({}, openAiFinishReason(finishReason), usage));
      writer.dataText('[DONE]');
    },
    (code) => writer.data({ error: { message: failureMessage(code), type: 'provider_error', code, param: null } }),
    (call) => {
      const fn: Record<string, string> = {};
      if (call.name !== undefined) fn['name'] = call.name;
      fn['arguments'] = call.arguments ?? '';
      const entry: Record<string, unknown> = { index: call.index, ...(call.id !== undefined ? { id: call.id, type: 'function' } : {}), function: fn };
      writer.data(chunk(first ? { role: 'assistant', content: null, tool_calls: [entry] } : { tool_calls: [entry] }, null));
      first = false;
    },
  );
}

const FINISH_REASONS = new Set(['stop', 'length', 'tool_calls', 'content_filter', 'function_call']);

/** The provider's finish reason when it is one OpenAI clients know (Anthropic/Ollama words map to stop/length). */
export function openAiFinishReason(reason: string | undefined): string {
  if (reason === undefined) return 'stop';
  if (FINISH_REASONS.has(reason)) return reason;
  if (reason === 'max_tokens') return 'length';
  if (reason === 'tool_use') return 'tool_calls';
  return 'stop';
}

function openAiMessage(result: ChatResult): Record<string, unknown> {
  const calls = result.toolCalls;
  if (calls === undefined || calls.length === 0) return { role: 'assistant', content: result.content };
  return {
    role: 'assistant', content: result.content === '' ? null : result.content,
    tool_calls: calls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } })),
  };
}

function openAiUsage(u: Usage): Record<string, number> {
  return { prompt_tokens: u.inputTokens, completion_tokens: u.outputTokens, total_tokens: u.inputTokens + u.outputTokens };
}

/** Non-stream OpenAI-compatible response body. */
export function toOpenAiCompletion(result: ChatResult, meta: { id: string; created: number }): Record<string, unknown> {
  return {
    id: meta.id,
    object: 'chat.completion',
    created: meta.created,
    model: result.model,
    choices: [{ index: 0, message: openAiMessage(result), logprobs: null, finish_reason: openAiFinishReason(result.finishReason ?? (result.toolCalls ? 'tool_calls' : undefined)) }],
    ...(result.usage ? { usage: openAiUsage(result.usage) } : {}),
  };
}
