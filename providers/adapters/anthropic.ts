/**
 * Anthropic Messages API. System messages become the top-level `system` string; streaming
 * reads the named SSE events (message_start, content_block_delta text_delta, message_delta,
 * message_stop; `error` is a failure; ping and unknown events are ignored).
 */
import type { Egress } from '../egress/dispatcher.ts';
import { ProviderError } from '../errors.ts';
import type { CallContext, ChatEvent, ChatRequest, ChatResult } from '../types.ts';
import type { AdapterLimits, ProviderAdapter } from './adapter.ts';
import { getModelIds, joinUrl, postJson, readJsonBody } from './http.ts';
import { count, obj, parseFrame, readLines, readSse } from './stream-parse.ts';

export const ANTHROPIC_VERSION = '2023-06-01';
const DEFAULT_MAX_TOKENS = 1024;

function body(request: ChatRequest, stream: boolean): Record<string, unknown> {
  const system = request.messages.filter((m) => m.role === 'system').map((m) => m.content).join('\n\n');
  const out: Record<string, unknown> = {
    model: request.model,
    max_tokens: request.maxTokens ?? DEFAULT_MAX_TOKENS,
    messages: request.messages.filter((m) => m.role !== 'system').map((m) => ({ role: m.role, content: m.content })),
    stream,
  };
  if (system !== '') out['system'] = system;
  if (request.temperature !== undefined) out['temperature'] = Math.min(request.temperature, 1);
  return out;
}

function headers(ctx: CallContext): Record<string, string> {
  return { 'anthropic-version': ANTHROPIC_VERSION, ...(ctx.key ? { 'x-api-key': ctx.key } : {}) };
}

export function anthropicAdapter(egress: Egress, baseUrl: string, limits: AdapterLimits): ProviderAdapter {
  const url = joinUrl(baseUrl, '/v1/messages');
  return {
    wire: 'anthropic',
    async *stream(request, ctx): AsyncGenerator<ChatEvent> {
      const res = await postJson(egress, url, { ...headers(ctx), accept: 'text/event-stream' }, body(request, true), ctx.signal);
      try {
        let content = '';
        let inputTokens = 0;
        let outputTokens = 0;
        let finishReason: string | undefined;
        for await (const event of readSse(readLines(res.body, limits.maxLineChars), limits.maxLineChars)) {
          if (event.event === 'ping') continue;
          const frame = parseFrame(event.data);
          const type = frame['type'];
          if (event.event === 'error' || type === 'error') throw new ProviderError('PRV_ERR_UPSTREAM_SERVER', 'in-band error event');
          if (type === 'message_start') {
            inputTokens = count(obj(obj(frame['message'])?.['usage'])?.['input_tokens']);
          } else if (type === 'content_block_delta') {
            const delta = obj(frame['delta']);
            if (delta?.['type'] === 'text_delta' && typeof delta['text'] === 'string' && delta['text'].length > 0) {
              content += delta['text'];
              yield { type: 'delta', text: delta['text'] };
            }
          } else if (type === 'message_delta') {
            outputTokens = count(obj(frame['usage'])?.['output_tokens']) || outputTokens;
            const reason = obj(frame['delta'])?.['stop_reason'];
            if (typeof reason === 'string') finishReason = reason.slice(0, 32);
          } else if (type === 'message_stop') {
            yield { type: 'done', content, usage: { inputTokens, outputTokens }, ...(finishReason ? { finishReason } : {}) };
            return;
          }
        }
        throw new ProviderError('PRV_ERR_BAD_RESPONSE', 'stream ended before message_stop');
      } finally {
        res.cancel();
      }
    },
    listModels: (ctx) => getModelIds(egress, joinUrl(baseUrl, '/v1/models'), headers(ctx), ctx.signal, 'data', 'id'),
    async complete(request, ctx): Promise<ChatResult> {
      const res = await postJson(egress, url, headers(ctx), body(request, false), ctx.signal);
      const doc = await readJsonBody(res);
      if (!Array.isArray(doc['content'])) throw new ProviderError('PRV_ERR_BAD_RESPONSE', 'no content blocks');
      const content = doc['content']
        .map((block: unknown) => obj(block))
        .filter((b) => b?.['type'] === 'text' && typeof b['text'] === 'string')
        .map((b) => b?.['text'] as string)
        .join('');
      const u = obj(doc['usage']);
      const reason = doc['stop_reason'];
      return {
        content,
        model: request.model,
        usage: { inputTokens: count(u?.['input_tokens']), outputTokens: count(u?.['output_tokens']) },
        ...(typeof reason === 'string' ? { finishReason: reason.slice(0, 32) } : {}),
      };
    },
  };
}
