/**
 * The one internal chat shape every adapter speaks, and the pure parser that rebuilds a chat
 * request from untrusted input (size- and shape-checked, unknown fields dropped by rebuilding).
 */
export type ProviderName = 'openai' | 'anthropic' | 'openrouter' | 'ollama';
export const PROVIDER_NAMES: readonly ProviderName[] = ['openai', 'anthropic', 'openrouter', 'ollama'];

export function isProviderName(value: unknown): value is ProviderName {
  return typeof value === 'string' && (PROVIDER_NAMES as readonly string[]).includes(value);
}

export type ChatRole = 'system' | 'user' | 'assistant';

export interface ChatMessage {
  readonly role: ChatRole;
  readonly content: string;
}

export interface ChatRequest {
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
  | { readonly type: 'done'; readonly content: string; readonly usage?: Usage; readonly finishReason?: string };

export interface ChatResult {
  readonly content: string;
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
      const content = mo?.['content'];
      if (role !== 'system' && role !== 'user' && role !== 'assistant') problems.push(`messages[${i}].role invalid`);
      else if (typeof content !== 'string' || content.length > CHAT_LIMITS.maxMessageChars) problems.push(`messages[${i}].content must be a string up to ${CHAT_LIMITS.maxMessageChars} chars`);
      else {
        total += content.length;
        messages.push({ role, content });
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
  if (problems.length > 0) return { ok: false, code: 'PRV_ERR_BAD_REQUEST', problems };
  const request: { -readonly [K in keyof ChatRequest]: ChatRequest[K] } = { model: model as string, messages };
  if (typeof maxTokens === 'number') request.maxTokens = maxTokens;
  if (typeof temperature === 'number') request.temperature = temperature;
  return { ok: true, request };
}
