/**
 * Ollama /api/chat: NDJSON, one JSON object per line, the last one with `done: true`.
 * A line with an `error` field, or a body that ends before `done`, is a failure.
 */
import type { Egress } from '../egress/dispatcher.ts';
import { ProviderError } from '../errors.ts';
import type { ChatEvent, ChatRequest, ChatResult } from '../types.ts';
import type { AdapterLimits, ProviderAdapter } from './adapter.ts';
import { getModelIds, joinUrl, postJson, readJsonBody } from './http.ts';
import { count, obj, parseFrame, readLines } from './stream-parse.ts';

function body(request: ChatRequest, stream: boolean): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  if (request.maxTokens !== undefined) options['num_predict'] = request.maxTokens;
  if (request.temperature !== undefined) options['temperature'] = request.temperature;
  return {
    model: request.model,
    messages: request.messages.map((m) => ({ role: m.role, content: m.content })),
    stream,
    ...(Object.keys(options).length > 0 ? { options } : {}),
  };
}

export function ollamaAdapter(egress: Egress, baseUrl: string, limits: AdapterLimits): ProviderAdapter {
  const url = joinUrl(baseUrl, '/api/chat');
  return {
    wire: 'ollama',
    async *stream(request, ctx): AsyncGenerator<ChatEvent> {
      const res = await postJson(egress, url, { accept: 'application/x-ndjson' }, body(request, true), ctx.signal);
      try {
        let content = '';
        for await (const line of readLines(res.body, limits.maxLineChars)) {
          if (line.trim() === '') continue;
          const frame = parseFrame(line);
          if (frame['error'] !== undefined) throw new ProviderError('PRV_ERR_UPSTREAM_SERVER', 'in-band error line');
          const text = obj(frame['message'])?.['content'];
          if (typeof text === 'string' && text.length > 0) {
            content += text;
            yield { type: 'delta', text };
          }
          if (frame['done'] === true) {
            const reason = frame['done_reason'];
            yield {
              type: 'done',
              content,
              usage: { inputTokens: count(frame['prompt_eval_count']), outputTokens: count(frame['eval_count']) },
              ...(typeof reason === 'string' ? { finishReason: reason.slice(0, 32) } : {}),
            };
            return;
          }
        }
        throw new ProviderError('PRV_ERR_BAD_RESPONSE', 'stream ended before done');
      } finally {
        res.cancel();
      }
    },
    listModels: (ctx) => getModelIds(egress, joinUrl(baseUrl, '/api/tags'), {}, ctx.signal, 'models', 'name'),
    async complete(request, ctx): Promise<ChatResult> {
      const res = await postJson(egress, url, {}, body(request, false), ctx.signal);
      const doc = await readJsonBody(res);
      if (doc['error'] !== undefined) throw new ProviderError('PRV_ERR_UPSTREAM_SERVER', 'in-band error');
      const content = obj(doc['message'])?.['content'];
      if (typeof content !== 'string') throw new ProviderError('PRV_ERR_BAD_RESPONSE', 'no message content');
      return {
        content,
        model: request.model,
        usage: { inputTokens: count(doc['prompt_eval_count']), outputTokens: count(doc['eval_count']) },
      };
    },
  };
}
