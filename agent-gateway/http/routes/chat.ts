/**
 * POST /chat/complete[?stream=true] (Palisade shape), POST /v1/chat/completions
 * (OpenAI-compatible) and GET /v1/models for user and admin bearers: the Express adapter over
 * the chat pipeline in agent-gateway/chat/ (prepare → provider call through failover → audit).
 * Here: body validation, the caller from the authenticated principal, the client-gone signal,
 * the SSE writer and the JSON response.
 */
import { Router, type Request, type Response } from 'express';
import { openSse, PROVIDER_NAMES } from '../../../providers/index.ts';
import { prepareChat, type ChatCaller } from '../../chat/prepare.ts';
import { modelLister } from '../../chat/models.ts';
import { providerForModel } from '../../chat/provider-choice.ts';
import {
  completeChat, completionMeta, OPENAI_ROUTE, openAiCompletion, PALISADE_ROUTE, palisadeCompletion, streamOpenAi, streamPalisade,
} from '../../chat/run.ts';
import { CHAT_BODY_SCHEMA, OPENAI_BODY_SCHEMA, openAiRequestFields, type ChatBody, type OpenAiBody } from '../../chat/schemas.ts';
import type { CoreContext } from '../../context.ts';
import { gwError } from '../../errors.ts';
import type { ProviderServices } from '../../providers-services.ts';
import { actor, principalOf, requirePrincipal } from '../auth.ts';
import { clientSignal } from '../client-signal.ts';
import { requestIdOf } from '../locals.ts';
import { bodyValidator } from '../validate-body.ts';

export { providerForModel };
export { OPENAI_TOOL_PROPERTIES } from '../../chat/schemas.ts';

function callerOf(res: Response): ChatCaller {
  const who = principalOf(res);
  return { subject: who.kind === 'agent' ? who.agentId : who.username, actor: actor(res), requestId: requestIdOf(res) };
}

export function chatRoutes(ctx: CoreContext, svc: ProviderServices): Router {
  const r = Router();
  const bearer = requirePrincipal(ctx, ['admin', 'user']);
  const chatBody = bodyValidator<ChatBody>(CHAT_BODY_SCHEMA, `POST ${PALISADE_ROUTE}`);
  const openAiBody = bodyValidator<OpenAiBody>(OPENAI_BODY_SCHEMA, `POST ${OPENAI_ROUTE}`);

  r.post(PALISADE_ROUTE, bearer, async (req: Request, res: Response) => {
    const { provider, page_context: pageContext, ...rest } = chatBody(req);
    const p = prepareChat(svc, callerOf(res), provider, rest as Record<string, unknown>, pageContext);
    if (req.query['stream'] === 'true') return streamPalisade(ctx, svc, p, req.path, openSse(req, res));
    const done = await completeChat(ctx, svc, p, PALISADE_ROUTE, req.path, clientSignal(res));
    res.json(palisadeCompletion(done, p.sessionId));
  });

  r.post(OPENAI_ROUTE, bearer, async (req: Request, res: Response) => {
    const body = openAiBody(req);
    const chosen = providerForModel(body.model, req.headers['x-palisade-provider']);
    if (!chosen) throw gwError('GW_ERR_VALIDATION', `X-Palisade-Provider must be one of ${PROVIDER_NAMES.join(', ')}.`);
    const p = prepareChat(svc, callerOf(res), chosen.provider, openAiRequestFields(body, chosen.model), undefined);
    const meta = completionMeta(ctx);
    if (body.stream === true) return streamOpenAi(ctx, svc, p, req.path, openSse(req, res), { ...meta, model: body.model });
    const done = await completeChat(ctx, svc, p, OPENAI_ROUTE, req.path, clientSignal(res));
    res.json(openAiCompletion(done, meta, body.model));
  });

  const models = modelLister(ctx, svc);
  r.get('/v1/models', bearer, async (_req, res) => {
    res.json(await models());
  });
  return r;
}
