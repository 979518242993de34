/**
 * POST/GET /admin/agents, DELETE /admin/agents/:id (admin only). Every change is audited
 * before it is applied (auditThen): no audit line, no change (503 GW_ERR_AUDIT_UNAVAILABLE).
 * An agent token lives `ttl_seconds`, by default 24 h (config.auth.agentTtlSecondsDefault).
 * POST /agents/delegate (an agent token): a narrowed child agent (auth/delegation.ts decides),
 * audited before it is created. Every refusal (401/403/409/422: not an agent token, bad body,
 * wider scope, longer TTL, too deep, id taken, parent gone) is audited too, as `agent.delegate`
 * outcome `denied` with its `error_code`, before it is answered: no audit line, 503.
 */
import { Router, type Request, type Response } from 'express';
import type { JsonValue } from '../../../sandbox/json.ts';
import { AGENT_ID_PATTERN, TOOL_GLOB_PATTERN, type AgentInfo } from '../../auth/agents.ts';
import { decideDelegation } from '../../auth/delegation.ts';
import { AGENT_RATE_LIMIT_MAX } from '../../config.ts';
import type { CoreContext } from '../../context.ts';
import { GatewayError, gwError } from '../../errors.ts';
import { auditThen, recordOrRefuse, type GatewayEvent } from '../../events.ts';
import { actor, principalOf, requirePrincipal } from '../auth.ts';
import { requestIdOf } from '../locals.ts';
import { bodyValidator, param } from '../validate-body.ts';

export { TOOL_GLOB_PATTERN };

/**
 * An agent as GET /admin/agents lists it: its effective bucket (its own, or the
 * PALISADE_AGENT_RATE_LIMIT default), its delegation `chain` (root first) and `parent`.
 */
export function agentListing(ctx: CoreContext, a: AgentInfo): Record<string, unknown> {
  const { agentBurst, agentRatePerSecond } = ctx.config.governance;
  const chain = ctx.agents.chainOf(a.agent_id);
  return {
    ...a, rate_limit: a.rate_limit === null ? { burst: agentBurst, per_second: agentRatePerSecond, source: 'default' } : { ...a.rate_limit, source: 'agent' },
    parent: chain.at(-1) ?? null, chain,
  };
}

export function agentRoutes(ctx: CoreContext): Router {
  const r = Router();
  const admin = requirePrincipal(ctx, ['admin']);
  const { agentTtlSecondsDefault, agentTtlSecondsMax } = ctx.config.auth;
  const createBody = bodyValidator<{ agent_id: string; tools: string[]; ttl_seconds?: number; rate_limit?: { burst: number; per_second: number } }>({
    type: 'object', additionalProperties: false, required: ['agent_id', 'tools'],
    properties: {
      agent_id: { type: 'string', pattern: AGENT_ID_PATTERN },
      tools: { type: 'array', maxItems: 256, uniqueItems: true, items: { type: 'string', pattern: TOOL_GLOB_PATTERN } },
      ttl_seconds: { type: 'integer', minimum: 60, maximum: agentTtlSecondsMax },
      // this agent's own token bucket instead of PALISADE_AGENT_RATE_LIMIT (README: documented maximum)
      rate_limit: {
        type: 'object', additionalProperties: false, required: ['burst', 'per_second'],
        properties: {
          burst: { type: 'integer', minimum: 1, maximum: AGENT_RATE_LIMIT_MAX.burst },
          per_second: { type: 'number', exclusiveMinimum: 0, maximum: AGENT_RATE_LIMIT_MAX.perSecond },
        },
      },
    },
  }, 'POST /admin/agents');
  const delegateBody = bodyValidator<{ agent_id: string; tools: string[]; ttl_seconds: number }>({
    type: 'object', additionalProperties: false, required: ['agent_id', 'tools', 'ttl_seconds'],
    properties: {
      agent_id: { type: 'string', pattern: AGENT_ID_PATTERN },
      tools: { type: 'array', maxItems: 256, uniqueItems: true, items: { type: 'string', pattern: TOOL_GLOB_PATTERN } },
      ttl_seconds: { type: 'integer', minimum: 1, maximum: agentTtlSecondsMax },
    },
  }, 'POST /agents/delegate');

  // any valid token reaches the handler, so that a refusal to a non-agent token is audited too
  r.post('/agents/delegate', requirePrincipal(ctx, ['agent', 'admin', 'user']), async (req, res) => {
    let refused: unknown; // an error thrown by a check (not by the audit write or the apply)
    try {
      await delegate(req, res, (error) => (refused = error));
    } catch (error) {
      if (error === refused && error instanceof GatewayError) await auditRefusal(res, req.body, error);
      throw error;
    }
  });

  /** The audit line of a refused delegation: the caller, the reason code, and only validated request fields. */
  const auditRefusal = (res: Response, body: unknown, error: GatewayError): Promise<void> => {
    const caller = principalOf(res);
    const b = body !== null && typeof body === 'object' ? body as Record<string, unknown> : {};
    const requested = typeof b['agent_id'] === 'string' && new RegExp(AGENT_ID_PATTERN).test(b['agent_id']) ? b['agent_id'] : undefined;
    const extra = (k: string): Record<string, JsonValue> => {
      const v = error.extras[k];
      return Array.isArray(v) ? { [k]: v.map(String) } : typeof v === 'number' ? { [k]: v } : {};
    };
    return recordOrRefuse(ctx.events, {
      type: 'agent.delegate', actor: actor(res), outcome: 'denied', requestId: requestIdOf(res),
      data: {
        error_code: error.code, status: error.status,
        ...(requested === undefined ? {} : { agent_id: requested }),
        ...(caller.kind === 'agent' ? { parent_id: caller.agentId, ...(caller.chain?.length ? { chain: [...caller.chain] } : {}) } : {}),
        ...extra('wider'), ...extra('max_ttl_seconds'), ...extra('max_depth'),
      },
    } satisfies GatewayEvent);
  };

  const delegate = async (req: Request, res: Response, check: (error: unknown) => void): Promise<void> => {
    const checked = <T>(fn: () => T): T => {
      try {
        return fn();
      } catch (error) {
        check(error);
        throw error;
      }
    };
    const caller = principalOf(res);
    const parentId = checked(() => {
      if (caller.kind !== 'agent') throw gwError('GW_ERR_FORBIDDEN', 'Only an agent token may delegate.');
      return caller.agentId;
    });
    const body = checked(() => delegateBody(req));
    const created = await auditThen(ctx.events, {
      plan: () => checked(() => {
        const now = ctx.now();
        // re-read inside the serialized change: a parent revoked since authentication cannot delegate
        const parent = ctx.agents.current(parentId, now);
        if (parent === undefined) throw gwError('GW_ERR_INVALID_TOKEN', 'The bearer token is invalid, expired or revoked.');
        const d = decideDelegation({ ...parent, chain: parent.chain ?? [] }, { tools: body.tools, ttlSeconds: body.ttl_seconds }, now);
        if (!d.ok) {
          switch (d.code) {
            case 'GW_ERR_DELEGATION_SCOPE':
              throw gwError(d.code, 'Each delegated tool must be matched only by names the parent may call.', { extras: { wider: [...d.wider] } });
            case 'GW_ERR_DELEGATION_TTL':
              throw gwError(d.code, 'A delegated token cannot outlive its parent; ask for at most max_ttl_seconds.', { extras: { max_ttl_seconds: d.maxTtlSeconds } });
            case 'GW_ERR_DELEGATION_DEPTH':
              throw gwError(d.code, 'The delegation chain would be deeper than max_depth.', { extras: { max_depth: d.maxDepth } });
            default: {
              const never: never = d;
              throw new Error(`unexpected delegation decision ${String(never)}`);
            }
          }
        }
        if (ctx.agents.list().some((a) => a.agent_id === body.agent_id)) throw gwError('GW_ERR_CONFLICT', 'That agent id exists.');
        return { now, chain: d.chain };
      }),
      event: ({ now, chain }): GatewayEvent => ({
        type: 'agent.delegate', actor: actor(res), outcome: 'ok', requestId: requestIdOf(res),
        data: {
          agent_id: body.agent_id, parent_id: parentId, chain: [...chain], tools: body.tools,
          expires_at: new Date(now + body.ttl_seconds * 1000).toISOString(),
        },
      }),
      apply: ({ now, chain }) => {
        const out = ctx.agents.create(body.agent_id, body.tools, body.ttl_seconds, actor(res), now, undefined, parentId);
        if (!out) throw gwError('GW_ERR_CONFLICT', 'That agent id exists.');
        return { ...out, chain };
      },
    });
    res.status(201).json({ agent_id: body.agent_id, token: created.token, expires_at: new Date(created.expiresAt).toISOString(), chain: [...created.chain] });
  };

  r.post('/admin/agents', admin, async (req, res) => {
    const body = createBody(req);
    const exists = (): boolean => ctx.agents.list().some((a) => a.agent_id === body.agent_id);
    const ttl = body.ttl_seconds ?? agentTtlSecondsDefault;
    const created = await auditThen(ctx.events, {
      plan: () => {
        if (exists()) throw gwError('GW_ERR_CONFLICT', 'That agent id exists; delete it first.');
        return ctx.now();
      },
      event: (now): GatewayEvent => ({
        type: 'agent.create', actor: actor(res), outcome: 'ok', requestId: requestIdOf(res),
        data: {
          agent_id: body.agent_id, tools: body.tools, expires_at: new Date(now + ttl * 1000).toISOString(),
          ...(body.rate_limit ? { rate_limit: { burst: body.rate_limit.burst, per_second: body.rate_limit.per_second } } : {}),
        },
      }),
      apply: (now) => {
        const rate = body.rate_limit ? { burst: body.rate_limit.burst, perSecond: body.rate_limit.per_second } : undefined;
        const out = ctx.agents.create(body.agent_id, body.tools, ttl, actor(res), now, rate);
        if (!out) throw gwError('GW_ERR_CONFLICT', 'That agent id exists; delete it first.');
        return out;
      },
    });
    const expiresAt = new Date(created.expiresAt).toISOString();
    res.status(201).json({ agent_id: body.agent_id, token: created.token, expires_at: expiresAt });
  });

  r.get('/admin/agents', admin, (_req, res) => {
    res.json({ agents: ctx.agents.list().map((a) => agentListing(ctx, a)) });
  });

  r.delete('/admin/agents/:id', admin, async (req, res) => {
    const id = param(req.params['id']);
    const missing = () => gwError('GW_ERR_NOT_FOUND', 'No such agent.');
    await auditThen(ctx.events, {
      plan: () => {
        if (!new RegExp(AGENT_ID_PATTERN).test(id) || !ctx.agents.list().some((a) => a.agent_id === id)) throw missing();
      },
      event: (): GatewayEvent => ({ type: 'agent.delete', actor: actor(res), outcome: 'ok', requestId: requestIdOf(res), data: { agent_id: id } }),
      apply: () => {
        if (!ctx.agents.delete(id)) throw missing();
      },
    });
    res.status(204).end();
  });
  return r;
}
