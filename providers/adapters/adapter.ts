/** The adapter contract: one streaming and one non-streaming call per provider wire format. */
import type { CallContext, ChatEvent, ChatRequest, ChatResult } from '../types.ts';

export type Wire = 'openai' | 'anthropic' | 'ollama';

export interface AdapterLimits {
  /** longest accepted line / SSE event in a streamed body, in characters */
  readonly maxLineChars: number;
}

export interface ProviderAdapter {
  readonly wire: Wire;
  /**
   * Streams deltas then exactly one `done`. Failures (status, malformed frames, in-band error
   * frames, early end, caps, abort) are thrown as ProviderError from the iterator. Breaking
   * out of the loop or aborting `ctx.signal` aborts the upstream request.
   */
  stream(request: ChatRequest, ctx: CallContext): AsyncGenerator<ChatEvent>;
  complete(request: ChatRequest, ctx: CallContext): Promise<ChatResult>;
  /** the model ids the provider offers (GET /v1/models, Ollama /api/tags), capped and shape-checked */
  listModels(ctx: CallContext): Promise<string[]>;
}

/** Collects a stream into a result (used by tests and by non-stream callers that prefer it). */
export async function collect(events: AsyncIterable<ChatEvent>, model: string): Promise<ChatResult> {
  for await (const event of events) {
    if (event.type === 'done') {
      return {
        content: event.content,
        model,
        ...(event.usage ? { usage: event.usage } : {}),
        ...(event.finishReason !== undefined ? { finishReason: event.finishReason } : {}),
      };
    }
  }
  throw new Error('stream ended without done');
}
