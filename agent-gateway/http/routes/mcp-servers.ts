/**
 * GET/POST /admin/mcp-servers · GET/DELETE /admin/mcp-servers/:name · POST /admin/mcp-servers/:name/pin
 * (admin; issue 16). Thin: bodies checked by ajv here, decisions in agent-gateway/upstream/,
 * every change audited before it is applied (auditThen in the service). Env values are never
 * returned: views list env names only. Register and pin bodies may carry `overrides` (the admin's
 * risk / tags / approval per tool, upstream/overrides.ts).
 */
import { Router } from 'express';
import type { CoreContext } from '../../context.ts';
import { gwError } from '../../errors.ts';
import { OVERRIDES_SCHEMA, type OverridesBody } from '../../upstream/overrides.ts';
import { REGISTER_SCHEMA, SERVER_NAME_PATTERN, type RegisterBody } from '../../upstream/register.ts';
import type { UpstreamService } from '../../upstream/service.ts';
import { actor, requirePrincipal } from '../auth.ts';
import { requestIdOf } from '../locals.ts';
import { bodyValidator, param } from '../validate-body.ts';

const PIN_SCHEMA = {
  type: 'object', additionalProperties: false,
  properties: { tools: { type: 'array', maxItems: 256, items: { type: 'string', minLength: 1, maxLength: 256 } }, overrides: OVERRIDES_SCHEMA },
} as const;

const NAME = new RegExp(SERVER_NAME_PATTERN);

export function mcpServerRoutes(ctx: CoreContext, upstream: UpstreamService): Router {
  const r = Router();
  const admin = requirePrincipal(ctx, ['admin']);
  const registerBody = bodyValidator<RegisterBody>(REGISTER_SCHEMA, 'POST /admin/mcp-servers');
  const pinBody = bodyValidator<{ tools?: string[]; overrides?: OverridesBody }>(PIN_SCHEMA, 'POST /admin/mcp-servers/:name/pin');
  const nameOf = (raw: string | string[] | undefined): string => {
    const name = param(raw);
    if (!NAME.test(name)) throw gwError('GW_ERR_NOT_FOUND', 'No MCP server has that name.');
    return name;
  };

  r.get('/admin/mcp-servers', admin, (_req, res) => {
    res.json({ servers: upstream.list() });
  });

  r.post('/admin/mcp-servers', admin, async (req, res) => {
    const body = registerBody(req);
    const view = await upstream.register(body, actor(res), requestIdOf(res));
    res.status(201).json(view);
  });

  r.get('/admin/mcp-servers/:name', admin, async (req, res) => {
    const name = nameOf(req.params['name']);
    // an admin looking at a server sees its live tools/list, reconciled against the pins
    await upstream.refresh(name).catch(() => undefined);
    const view = upstream.view(name);
    if (view === undefined) throw gwError('GW_ERR_NOT_FOUND', 'No MCP server has that name.');
    res.json(view);
  });

  r.delete('/admin/mcp-servers/:name', admin, async (req, res) => {
    await upstream.remove(nameOf(req.params['name']), actor(res), requestIdOf(res));
    res.status(204).end();
  });

  r.post('/admin/mcp-servers/:name/pin', admin, async (req, res) => {
    const name = nameOf(req.params['name']);
    const body = pinBody(req);
    res.json(await upstream.pin(name, body.tools, actor(res), requestIdOf(res), body.overrides));
  });
  return r;
}
