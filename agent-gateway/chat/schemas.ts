/**
 * The request bodies of the two chat routes (Palisade `/chat/complete` and OpenAI-compatible
 * `/v1/chat/completions`): JSON Schemas checked by ajv at the edge, and their typed shapes.
 * `tools`, `tool_choice`, `response_format` are shape-checked here and rebuilt by
 * providers' parseChatRequest.
 */
import { PROVIDER_NAMES, type ProviderName } from '../../providers/index.ts';

const MESSAGE_SCHEMA = {
  type: 'object', additionalProperties: false, required: ['role', 'content'],
  properties: { role: { enum: ['system', 'user', 'assistant'] }, content: { type: 'string' }, name: { type: 'string', maxLength: 64 } },
} as const;

const COMMON = {
  model: { type: 'string', minLength: 1, maxLength: 256 },
  messages: { type: 'array', minItems: 1, maxItems: 256, items: MESSAGE_SCHEMA },
  max_tokens: { type: 'integer' },
  temperature: { type: 'number' },
} as const;

export interface ChatBody {
  provider: ProviderName;
  model: string;
  messages: unknown[];
  page_context?: unknown;
  max_tokens?: number;
  temperature?: number;
}

export interface OpenAiBody {
  model: string;
  messages: unknown[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  max_tokens?: number;
  temperature?: number;
  user?: string;
  tools?: unknown[];
  tool_choice?: unknown;
  response_format?: unknown;
  parallel_tool_calls?: boolean;
}

/** An OpenAI chat message: also tool results and assistant turns that carry tool calls (content null). */
const OPENAI_MESSAGE_SCHEMA = {
  type: 'object', additionalProperties: false, required: ['role'],
  properties: {
    role: { enum: ['system', 'user', 'assistant', 'tool'] },
    content: { anyOf: [{ type: 'string' }, { type: 'null' }] },
    name: { type: 'string', maxLength: 64 },
    tool_call_id: { type: 'string', minLength: 1, maxLength: 128 },
    tool_calls: { type: 'array', maxItems: 128, items: { type: 'object' } },
    refusal: { anyOf: [{ type: 'string' }, { type: 'null' }] },
  },
} as const;

/** `tools`, `tool_choice`, `response_format`: shapes checked here, rebuilt by parseChatRequest. */
export const OPENAI_TOOL_PROPERTIES = {
  tools: {
    type: 'array', maxItems: 128,
    items: {
      type: 'object', additionalProperties: false, required: ['type', 'function'],
      properties: {
        type: { const: 'function' },
        function: {
          type: 'object', additionalProperties: false, required: ['name'],
          properties: {
            name: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' },
            description: { type: 'string', maxLength: 8192 },
            parameters: { type: 'object' },
            strict: { anyOf: [{ type: 'boolean' }, { type: 'null' }] },
          },
        },
      },
    },
  },
  tool_choice: {
    anyOf: [
      { enum: ['none', 'auto', 'required'] },
      {
        type: 'object', additionalProperties: false, required: ['type', 'function'],
        properties: { type: { const: 'function' }, function: { type: 'object', additionalProperties: false, required: ['name'], properties: { name: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' } } } },
      },
    ],
  },
  response_format: {
    type: 'object', required: ['type'],
    properties: { type: { enum: ['text', 'json_object', 'json_schema'] }, json_schema: { type: 'object' } },
  },
  parallel_tool_calls: { type: 'boolean' },
} as const;

/** POST /chat/complete. */
export const CHAT_BODY_SCHEMA = {
  type: 'object', additionalProperties: false, required: ['provider', 'model', 'messages'],
  properties: { provider: { enum: [...PROVIDER_NAMES] }, page_context: { type: 'object' }, ...COMMON },
} as const;

/** POST /v1/chat/completions. */
export const OPENAI_BODY_SCHEMA = {
  type: 'object', additionalProperties: false, required: ['model', 'messages'],
  properties: {
    ...COMMON,
    messages: { type: 'array', minItems: 1, maxItems: 256, items: OPENAI_MESSAGE_SCHEMA },
    ...OPENAI_TOOL_PROPERTIES,
    stream: { type: 'boolean' },
    stream_options: { type: 'object', additionalProperties: false, properties: { include_usage: { type: 'boolean' } } },
    user: { type: 'string', maxLength: 256 },
  },
} as const;

/** The provider-neutral request fields of an OpenAI body (the model already stripped of its prefix). */
export function openAiRequestFields(body: OpenAiBody, model: string): Record<string, unknown> {
  const raw: Record<string, unknown> = { model, messages: body.messages };
  if (body.max_tokens !== undefined) raw['max_tokens'] = body.max_tokens;
  if (body.temperature !== undefined) raw['temperature'] = body.temperature;
  for (const k of ['tools', 'tool_choice', 'response_format', 'parallel_tool_calls'] as const) if (body[k] !== undefined) raw[k] = body[k];
  return raw;
}
