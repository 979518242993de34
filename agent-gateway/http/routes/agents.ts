/** POST/GET /admin/agents, DELETE /admin/agents/:id (admin only). */
import { Router } from 'express';
import { AGENT_ID_PATTERN } from '../../auth/agents.ts';
import type { CoreContext } from '../../context.ts';
import { gwError } from '../../errors.ts';
import { actor, requirePrincipal } from '../auth.ts';
import { bodyValidator, param } from '../validate-body.ts';

export const TOOL_GLOB_PATTERN = '^[A-Za-z0-9_.*?:-]{1,256}$';

export function agentRoutes(ctx: CoreContext): Router {
  const r = Router();
  const admin = requirePrincipal(ctx, ['admin']);
  const { agentTtlSecondsDefault, agentTtlSecondsMax } = ctx.config.auth;
  const createBody = bodyValidator<{ agent_id: string; tools: string[]; ttl_seconds?: number }>({
    type: 'object', additionalProperties: false, required: ['agent_id', 'tools'],
    properties: {
      agent_id: { type: 'string', pattern: AGENT_ID_PATTERN },
      tools: { type: 'array', maxItems: 256, uniqueItems: true, items: { type: 'string', pattern: TOOL_GLOB_PATTERN } },
      ttl_seconds: { type: 'integer', minimum: 60, maximum: agentTtlSecondsMax },
    },
  });

  r.post('/admin/agents', admin, async (req, res) => {
    const body = createBody(req);
    const created = ctx.agents.create(body.agent_id, body.tools, body.ttl_seconds ?? agentTtlSecondsDefault, actor(res), ctx.now());
    if (!created) throw gwError('GW_ERR_CONFLICT', 'That agent id exists; delete it first.');
    const expiresAt = new Date(created.expiresAt).toISOString();
    await ctx.events.record({
      type: 'agent.create', actor: actor(res), outcome: 'ok',
      data: { agent_id: body.agent_id, tools: body.tools, expires_at: expiresAt },
    });
    res.status(201).json({ agent_id: body.agent_id, token: created.token, expires_at: expiresAt });
  });

  r.get('/admin/agents', admin, (_req, res) => {
    res.json({ agents: ctx.agents.list() });
  });

  r.delete('/admin/agents/:id', admin, async (req, res) => {
    const id = param(req.params['id']);
    if (!new RegExp(AGENT_ID_PATTERN).test(id) || !ctx.agents.delete(id)) throw gwError('GW_ERR_NOT_FOUND', 'No such agent.');
    await ctx.events.record({ type: 'agent.delete', actor: actor(res), outcome: 'ok', data: { agent_id: id } });
    res.status(204).end();
  });
  return r;
}
