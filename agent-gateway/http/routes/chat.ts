/**
 * POST /chat/complete[?stream=true] (Palisade shape) and POST /v1/chat/completions
 * (OpenAI-compatible) for user and admin bearers. One path for both: validate the body, pass
 * `page_context` through the single redaction/consent ingestion point, open a chat session,
 * check that some provider in the failover plan has a key (so a missing key is a 503 problem,
 * not a broken stream), then stream or complete through the failover layer. The upstream call
 * is aborted when the client goes away. Audit gets provider, model, session and the redaction
 * summary (field names only), never a key, message text or an unredacted value.
 */
import { randomUUID } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import {
  completeWithFailover, isProviderName, openSse, parseChatRequest, planFailover, PROVIDER_NAMES, ProviderError, isProviderFailure, requireEnabled,
  streamOpenAiCompatible, streamPalisadeChat, streamWithFailover, toOpenAiCompletion,
  usesToolFields, type ChatRequest, type ProviderName, type StreamOutcome,
} from '../../../providers/index.ts';
import type { JsonObject } from '../../../sandbox/json.ts';
import type { CoreContext } from '../../context.ts';
import { gwError } from '../../errors.ts';
import { ingestPageContext, shareAuditData } from '../../privacy/ingest.ts';
import { parsePageContext } from '../../privacy/redaction.ts';
import { providerProblem, type ProviderServices } from '../../providers-services.ts';
import { actor, principalOf, requirePrincipal } from '../auth.ts';
import { bodyValidator } from '../validate-body.ts';

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

interface ChatBody {
  provider: ProviderName;
  model: string;
  messages: unknown[];
  page_context?: unknown;
  max_tokens?: number;
  temperature?: number;
}

interface OpenAiBody {
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

/** `openai:gpt-4o`, `ollama:llama3:8b` select a provider; else the X-Palisade-Provider header; else openai. */
export function providerForModel(model: string, header: unknown): { provider: ProviderName; model: string } | undefined {
  const i = model.indexOf(':');
  const prefix = i > 0 ? model.slice(0, i) : '';
  if (isProviderName(prefix)) return { provider: prefix, model: model.slice(i + 1) };
  if (header === undefined) return { provider: 'openai', model };
  return isProviderName(header) ? { provider: header, model } : undefined;
}

interface Prepared {
  readonly subject: string;
  readonly provider: ProviderName;
  readonly request: ChatRequest;
  readonly sessionId: string;
  readonly share: JsonObject | null;
}

export function chatRoutes(ctx: CoreContext, svc: ProviderServices): Router {
  const r = Router();
  const bearer = requirePrincipal(ctx, ['admin', 'user']);
  const chatBody = bodyValidator<ChatBody>({
    type: 'object', additionalProperties: false, required: ['provider', 'model', 'messages'],
    properties: { provider: { enum: [...PROVIDER_NAMES] }, page_context: { type: 'object' }, ...COMMON },
  }, 'POST /chat/complete');
  const openAiBody = bodyValidator<OpenAiBody>({
    type: 'object', additionalProperties: false, required: ['model', 'messages'],
    properties: {
      ...COMMON,
      messages: { type: 'array', minItems: 1, maxItems: 256, items: OPENAI_MESSAGE_SCHEMA },
      ...OPENAI_TOOL_PROPERTIES,
      stream: { type: 'boolean' },
      stream_options: { type: 'object', additionalProperties: false, properties: { include_usage: { type: 'boolean' } } },
      user: { type: 'string', maxLength: 256 },
    },
  }, 'POST /v1/chat/completions');

  /** Everything before the provider call; throws 422/503 problems while no byte is sent yet. */
  function prepare(res: Response, provider: ProviderName, raw: Record<string, unknown>, pageContext: unknown): Prepared {
    const who = principalOf(res);
    const subject = who.kind === 'agent' ? who.agentId : who.username;
    const parsed = parseChatRequest(raw);
    if (!parsed.ok) throw gwError('GW_ERR_VALIDATION', 'Invalid chat request.', { extras: { errors: parsed.problems.map((m) => ({ instancePath: '', message: m })) } });
    if (usesToolFields(parsed.request, parsed.request.messages) && svc.registry.endpoint(provider).wire !== 'openai') {
      throw gwError('GW_ERR_VALIDATION', `tools, tool_choice, response_format and tool messages are passed only to OpenAI-wire providers (openai, openrouter); ${provider} does not take them.`);
    }
    if (pageContext !== undefined) {
      const pre = parsePageContext(pageContext);
      if (!pre.ok) throw gwError('GW_ERR_VALIDATION', 'Invalid page_context.', { extras: { errors: pre.problems.map((m) => ({ instancePath: '/page_context', message: m })) } });
    }
    requireSomeKey(provider);
    // the session row is written once, with the audit line, when the chat ends (issue 23)
    const sessionId = svc.sessions.newId();
    let request = parsed.request;
    let share: JsonObject | null = null;
    if (pageContext !== undefined) {
      const ingested = ingestPageContext(pageContext, { rules: svc.rules, consent: svc.consent }, { subject, provider, sessionId });
      if (!ingested.ok) throw gwError('GW_ERR_VALIDATION', 'Invalid page_context.');
      request = { ...request, messages: [ingested.message, ...request.messages] };
      share = { ...shareAuditData(ingested.redaction), consent_id: ingested.consentId };
    }
    return { subject, provider, request, sessionId, share };
  }

  /** A 503 before streaming when no provider in the failover plan has a usable key. */
  function requireSomeKey(primary: ProviderName): void {
    try {
      requireEnabled(primary, svc.failover.config);
    } catch (error) {
      throw providerProblem(error);
    }
    let first: unknown;
    for (const p of planFailover(primary, svc.failover.config)) {
      try {
        svc.failover.resolveKey(p);
        return;
      } catch (error) {
        first ??= error;
      }
    }
    throw providerProblem(first ?? new ProviderError('PRV_ERR_KEY_MISSING'));
  }

  async function audit(req: Request, res: Response, p: Prepared, outcome: { ok: boolean; code?: string; provider?: ProviderName; stream: boolean; route: string }): Promise<void> {
    svc.sessions.record(p.sessionId, { subject: p.subject, provider: outcome.provider ?? p.provider, model: p.request.model, messages: p.request.messages.length + (outcome.ok ? 1 : 0) });
    const data: JsonObject = {
      route: outcome.route, provider: p.provider, model: p.request.model, session_id: p.sessionId, stream: outcome.stream,
      messages: p.request.messages.length, redaction: p.share,
      ...(outcome.provider ? { provider_used: outcome.provider } : {}), ...(outcome.code ? { code: outcome.code } : {}),
    };
    try {
      await ctx.events.record({ type: 'chat.complete', actor: actor(res), subject: p.subject, outcome: outcome.ok ? 'ok' : 'error', requestId: String(res.locals['requestId'] ?? ''), data });
    } catch (error) {
      ctx.logger.error('chat audit failed', { request_id: res.locals['requestId'], error: error instanceof Error ? error.name : 'unknown', path: req.path });
      throw error;
    }
  }

  /** Aborts the upstream call when the client goes away before the response finished. */
  function clientSignal(res: Response): AbortSignal {
    const controller = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) controller.abort();
    });
    return controller.signal;
  }

  async function stream(req: Request, res: Response, p: Prepared, route: string, write: (w: ReturnType<typeof openSse>) => Promise<StreamOutcome>): Promise<void> {
    const outcome = await write(openSse(req, res));
    if (!outcome.ok && !outcome.clientGone) ctx.logger.warn('chat stream failed', { request_id: res.locals['requestId'], code: outcome.code });
    await audit(req, res, p, { ok: outcome.ok, stream: true, route, ...(outcome.ok ? {} : { code: outcome.code }), ...(outcome.provider ? { provider: outcome.provider } : {}) }).catch(() => undefined);
  }

  r.post('/chat/complete', bearer, async (req, res) => {
    const body = chatBody(req);
    const { provider, page_context: pageContext, ...rest } = body;
    const p = prepare(res, provider, rest as Record<string, unknown>, pageContext);
    if (req.query['stream'] === 'true') {
      await stream(req, res, p, '/chat/complete', (w) =>
        streamPalisadeChat(streamWithFailover(p.provider, p.request, svc.failover, w.signal), w, () => ({ session_id: p.sessionId })));
      return;
    }
    try {
      const done = await completeWithFailover(p.provider, p.request, svc.failover, clientSignal(res));
      await audit(req, res, p, { ok: true, stream: false, route: '/chat/complete', provider: done.provider });
      res.json({
        content: done.result.content, session_id: p.sessionId, provider: done.provider, model: done.result.model,
        ...(done.result.usage ? { usage: { input_tokens: done.result.usage.inputTokens, output_tokens: done.result.usage.outputTokens } } : {}),
      });
    } catch (error) {
      if (isProviderFailure(error)) {
        await audit(req, res, p, { ok: false, stream: false, route: '/chat/complete', code: error.code });
        throw providerProblem(error);
      }
      throw error;
    }
  });

  r.post('/v1/chat/completions', bearer, async (req, res) => {
    const body = openAiBody(req);
    const chosen = providerForModel(body.model, req.headers['x-palisade-provider']);
    if (!chosen) throw gwError('GW_ERR_VALIDATION', `X-Palisade-Provider must be one of ${PROVIDER_NAMES.join(', ')}.`);
    const raw: Record<string, unknown> = { model: chosen.model, messages: body.messages };
    if (body.max_tokens !== undefined) raw['max_tokens'] = body.max_tokens;
    if (body.temperature !== undefined) raw['temperature'] = body.temperature;
    for (const k of ['tools', 'tool_choice', 'response_format', 'parallel_tool_calls'] as const) if (body[k] !== undefined) raw[k] = body[k];
    const p = prepare(res, chosen.provider, raw, undefined);
    const meta = { id: `chatcmpl-${randomUUID()}`, created: Math.floor(ctx.now() / 1000) };
    if (body.stream === true) {
      await stream(req, res, p, '/v1/chat/completions', (w) =>
        streamOpenAiCompatible(streamWithFailover(p.provider, p.request, svc.failover, w.signal), w, { ...meta, model: body.model }));
      return;
    }
    try {
      const done = await completeWithFailover(p.provider, p.request, svc.failover, clientSignal(res));
      await audit(req, res, p, { ok: true, stream: false, route: '/v1/chat/completions', provider: done.provider });
      res.json({ ...toOpenAiCompletion(done.result, meta), model: body.model });
    } catch (error) {
      if (isProviderFailure(error)) {
        await audit(req, res, p, { ok: false, stream: false, route: '/v1/chat/completions', code: error.code });
        throw providerProblem(error);
      }
      throw error;
    }
  });
  /** GET /v1/models: the models of every enabled provider with a usable key, cached 60 s. */
  let modelCache: { at: number; body: Record<string, unknown> } | undefined;
  r.get('/v1/models', bearer, async (_req, res) => {
    const t = ctx.now();
    if (modelCache === undefined || t - modelCache.at > 60_000) {
      const lists = await Promise.all(PROVIDER_NAMES.filter((n) => svc.registry.endpoint(n).enabled).map(async (name) => {
        let key: string | undefined;
        try {
          key = svc.failover.resolveKey(name);
        } catch {
          return [];
        }
        try {
          const ids = await svc.registry.adapter(name).listModels(key === undefined ? {} : { key });
          return ids.map((id) => ({ id: name === 'openai' ? id : `${name}:${id}`, object: 'model', created: 0, owned_by: name }));
        } catch (error) {
          ctx.logger.info('provider model list unavailable', { provider: name, code: error instanceof ProviderError ? error.code : 'unknown' });
          return [];
        }
      }));
      modelCache = { at: t, body: { object: 'list', data: lists.flat() } };
    }
    res.json(modelCache.body);
  });
  return r;
}
