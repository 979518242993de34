/**
 * OpenAI chat.completions (also OpenRouter and other OpenAI-compatible endpoints by base URL).
 * Streaming reads SSE `data:` frames until `data: [DONE]`; a stream that ends before [DONE],
 * or an in-band `{error}` frame, is a failure.
 */
import type { Egress } from '../egress/dispatcher.ts';
import { ProviderError } from '../errors.ts';
import type { CallContext, ChatEvent, ChatRequest, ChatResult, Usage } from '../types.ts';
import type { AdapterLimits, ProviderAdapter } from './adapter.ts';
import { joinUrl, postJson, readJsonBody } from './http.ts';
import { count, obj, parseFrame, readLines, readSse } from './stream-parse.ts';

function body(request: ChatRequest, stream: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {
    model: request.model,
    messages: request.messages.map((m) => ({ role: m.role, content: m.content })),
    stream,
  };
  if (stream) out['stream_options'] = { include_usage: true };
  if (request.maxTokens !== undefined) out['max_tokens'] = request.maxTokens;
  if (request.temperature !== undefined) out['temperature'] = request.temperature;
  return out;
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
          const text = obj(choice?.['delta'])?.['content'];
          if (typeof text === 'string' && text.length > 0) {
            content += text;
            yield { type: 'delta', text };
          }
        }
        throw new ProviderError('PRV_ERR_BAD_RESPONSE', 'stream ended before [DONE]');
      } finally {
        res.cancel();
      }
    },
    async complete(request, ctx): Promise<ChatResult> {
      const res = await postJson(egress, url, headers(ctx), body(request, false), ctx.signal);
      const doc = await readJsonBody(res);
      const choice = obj(Array.isArray(doc['choices']) ? doc['choices'][0] : undefined);
      const content = obj(choice?.['message'])?.['content'];
      if (typeof content !== 'string') throw new ProviderError('PRV_ERR_BAD_RESPONSE', 'no message content');
      const usage = usageOf(doc['usage']);
      const reason = choice?.['finish_reason'];
      return {
        content,
        model: request.model,
        ...(usage ? { usage } : {}),
        ...(typeof reason === 'string' ? { finishReason: reason.slice(0, 32) } : {}),
      };
    },
  };
}
