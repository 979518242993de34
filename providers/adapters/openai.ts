/**
 * OpenAI chat.completions (also OpenRouter and other OpenAI-compatible endpoints by base URL).
 * Streaming reads SSE `data:` frames until `data: [DONE]`; a stream that ends before [DONE],
 * or an in-band `{error}` frame, is a failure.
 */
import type { Egress } from '../egress/dispatcher.ts';
import { ProviderError } from '../errors.ts';
import { parseToolCall, TOOL_LIMITS, type ToolCall } from '../tool-fields.ts';
import type { CallContext, ChatEvent, ChatMessage, ChatRequest, ChatResult, Usage } from '../types.ts';
import type { AdapterLimits, ProviderAdapter } from './adapter.ts';
import { getModelIds, joinUrl, postJson, readJsonBody } from './http.ts';
import { count, obj, parseFrame, readLines, readSse } from './stream-parse.ts';

function message(m: ChatMessage): Record<string, unknown> {
  const calls = m.toolCalls;
  if (calls !== undefined && calls.length > 0) {
    return {
      role: m.role, content: m.content === '' ? null : m.content,
      tool_calls: calls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } })),
    };
  }
  return m.toolCallId !== undefined ? { role: m.role, content: m.content, tool_call_id: m.toolCallId } : { role: m.role, content: m.content };
}

function body(request: ChatRequest, stream: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {
    model: request.model,
    messages: request.messages.map(message),
    stream,
  };
  if (stream) out['stream_options'] = { include_usage: true };
  if (request.maxTokens !== undefined) out['max_tokens'] = request.maxTokens;
  if (request.temperature !== undefined) out['temperature'] = request.temperature;
  if (request.tools !== undefined) out['tools'] = request.tools;
  if (request.toolChoice !== undefined) out['tool_choice'] = request.toolChoice;
  if (request.responseFormat !== undefined) out['response_format'] = request.responseFormat;
  if (request.parallelToolCalls !== undefined) out['parallel_tool_calls'] = request.parallelToolCalls;
  return out;
}

/** One streamed `delta.tool_calls[]` fragment, bounded; undefined when it carries nothing usable. */
function toolCallFragment(value: unknown): Extract<ChatEvent, { type: 'tool_call' }> | undefined {
  const o = obj(value);
  const index = o?.['index'];
  if (!o || typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= TOOL_LIMITS.maxToolCalls) return undefined;
  const fn = obj(o['function']);
  const id = o['id'];
  const name = fn?.['name'];
  const args = fn?.['arguments'];
  return {
    type: 'tool_call', index,
    ...(typeof id === 'string' && id.length > 0 && id.length <= TOOL_LIMITS.maxIdChars ? { id } : {}),
    ...(typeof name === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(name) ? { name } : {}),
    ...(typeof args === 'string' && args.length > 0 ? { arguments: args } : {}),
  };
}

function usageOf(value: unknown): Usage | undefined {
  const u = obj(value);
  return u ? { inputTokens: count(u['prompt_tokens']), outputTokens: count(u['completion_tokens']) } : undefined;
}

function headers(ctx: CallContext): Record<string, string> {
  return ctx.key ? { authorization: `Bearer ${ctx.key}` } : {};
}

export function openaiAdapter(egress: Egress, baseUrl: string, limits: AdapterLimits): ProviderAdapter {
  const url = joinUrl(baseUrl, '/v1/chat/completions');
  return {
    wire: 'openai',
    async *stream(request, ctx): AsyncGenerator<ChatEvent> {
      const res = await postJson(egress, url, { ...headers(ctx), accept: 'text/event-stream' }, body(request, true), ctx.signal);
      try {
        let content = '';
        let usage: Usage | undefined;
        let finishReason: string | undefined;
        for await (const event of readSse(readLines(res.body, limits.maxLineChars), limits.maxLineChars)) {
          if (event.data === '[DONE]') {
            yield { type: 'done', content, ...(usage ? { usage } : {}), ...(finishReason ? { finishReason } : {}) };
            return;
          }
          const frame = parseFrame(event.data);
          if (frame['error'] !== undefined) throw new ProviderError('PRV_ERR_UPSTREAM_SERVER', 'in-band error frame');
          usage = usageOf(frame['usage']) ?? usage;
          const choice = obj(Array.isArray(frame['choices']) ? frame['choices'][0] : undefined);
          const reason = choice?.['finish_reason'];
          if (typeof reason === 'string') finishReason = reason.slice(0, 32);
          const delta = obj(choice?.['delta']);
          const text = delta?.['content'];
          if (typeof text === 'string' && text.length > 0) {
            content += text;
            yield { type: 'delta', text };
          }
          const calls = delta?.['tool_calls'];
          if (Array.isArray(calls)) {
            for (const c of calls.slice(0, TOOL_LIMITS.maxToolCalls)) {
              const fragment = toolCallFragment(c);
              if (fragment) yield fragment;
            }
          }
        }
        throw new ProviderError('PRV_ERR_BAD_RESPONSE', 'stream ended before [DONE]');
      } finally {
        res.cancel();
      }
    },
    listModels: (ctx) => getModelIds(egress, joinUrl(baseUrl, '/v1/models'), headers(ctx), ctx.signal, 'data', 'id'),
    async complete(request, ctx): Promise<ChatResult> {
      const res = await postJson(egress, url, headers(ctx), body(request, false), ctx.signal);
      const doc = await readJsonBody(res);
      const choice = obj(Array.isArray(doc['choices']) ? doc['choices'][0] : undefined);
      const msg = obj(choice?.['message']);
      const rawCalls = msg?.['tool_calls'];
      const toolCalls: ToolCall[] = [];
      if (Array.isArray(rawCalls)) {
        for (const c of rawCalls.slice(0, TOOL_LIMITS.maxToolCalls)) {
          const call = parseToolCall(c);
          if (!call) throw new ProviderError('PRV_ERR_BAD_RESPONSE', 'malformed tool call');
          toolCalls.push(call);
        }
      }
      const content = msg?.['content'] === null && toolCalls.length > 0 ? '' : msg?.['content'];
      if (typeof content !== 'string') throw new ProviderError('PRV_ERR_BAD_RESPONSE', 'no message content');
      const usage = usageOf(doc['usage']);
      const reason = choice?.['finish_reason'];
      return {
        content,
        ...(toolCalls.length > 0 ? { toolCalls } : {}),
        model: request.model,
        ...(usage ? { usage } : {}),
        ...(typeof reason === 'string' ? { finishReason: reason.slice(0, 32) } : {}),
      };
    },
  };
}
