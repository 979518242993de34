/**
 * POST /mcp: the MCP Streamable HTTP endpoint (official SDK v2, stateless). Serves revision
 * 2026-07-28 and answers 2025-era clients (2025-06-18, 2025-11-25) through the SDK's
 * stateless legacy fallback; one server instance per request, no session state.
 *
 * Before the SDK sees anything, the app's chain has already run the Host check, the Origin
 * check (configured or same-origin only, http/cors.ts), the 256 KiB body cap and JSON
 * parsing; here the bearer token must be an agent's (exactly as POST /tools/call). A body
 * that is not JSON gets a JSON-RPC parse error, never a problem+json or a 5xx. GET and DELETE
 * (2025 session operations) are 405: nothing here is sessionful.
 */
import { Router, type ErrorRequestHandler, type Request, type Response } from 'express';
import { requestIdOf } from '../locals.ts';
import type { CoreContext } from '../../context.ts';
import { gwError, GatewayError } from '../../errors.ts';
import { fromFrameworkError } from '../problem.ts';
import { CALLER_KEY, type McpCaller } from '../../mcp/caller.ts';
import type { McpNodeHandler } from '../../mcp/handler.ts';
import type { ToolServices } from '../../tools/services.ts';
import { principalOf, requirePrincipal } from '../auth.ts';

export interface McpRouteOptions {
  /** interval of progress notifications while a call waits for approval */
  readonly progressIntervalMs?: number;
}

/** The JSON-RPC method label of a parsed body (bounded again by the metric). */
export function mcpMethodOf(body: unknown): string {
  if (Array.isArray(body)) return 'batch';
  if (body === null || typeof body !== 'object') return 'invalid';
  const method = (body as { method?: unknown }).method;
  return typeof method === 'string' ? method : 'invalid';
}

/** The outcome label: the tool outcome when a tools/call ran, else from the HTTP status. */
export function mcpOutcomeOf(status: number, caller: McpCaller | undefined): string {
  if (caller?.outcome !== undefined) return caller.outcome;
  if (status >= 500) return 'internal';
  if (status === 401 || status === 403 || status === 405 || status === 413 || status === 415) return 'refused';
  return status >= 400 ? 'protocol_error' : 'ok';
}

function jsonRpcError(res: Response, status: number, code: number, message: string): void {
  res.status(status).type('application/json').send(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code, message } }));
}

export function mcpRoutes(ctx: CoreContext, svc: ToolServices, options: McpRouteOptions = {}): Router {
  const limit = ctx.config.limits.bodyBytes;
  const onerror = (error: Error): void => ctx.logger.warn('mcp request failed', { error: error.message.slice(0, 200) });
  const serverOptions = {
    approvalWaitSeconds: ctx.config.mcpApprovalWaitSeconds,
    ...(options.progressIntervalMs === undefined ? {} : { progressIntervalMs: options.progressIntervalMs }),
  };
  // the MCP SDK is loaded on the first /mcp request, not at start (issue 12)
  let serving: Promise<McpNodeHandler> | undefined;
  const serve = (): Promise<McpNodeHandler> => {
    serving ??= import('../../mcp/handler.ts').then((m) => m.mcpNodeHandler(svc, serverOptions, limit, onerror));
    return serving;
  };
  const r = Router();
  // the caller this request's MCP handler runs as, read back for the metrics when it finishes
  const callers = new WeakMap<Response, McpCaller>();

  r.use('/mcp', (req: Request, res: Response, next) => {
    res.on('finish', () => {
      const caller = callers.get(res);
      ctx.metrics.mcpRequest(mcpMethodOf(req.body), mcpOutcomeOf(res.statusCode, caller));
    });
    next();
  });

  r.post('/mcp', requirePrincipal(ctx, ['agent']), async (req, res) => {
    const p = principalOf(res);
    if (p.kind !== 'agent') throw gwError('GW_ERR_FORBIDDEN');
    const caller: McpCaller = { agent: p, requestId: requestIdOf(res) };
    callers.set(res, caller);
    // the SDK's pass-through authInfo: the handler never derives it from headers
    (req as Request & { auth?: unknown }).auth = { token: 'verified', clientId: p.agentId, scopes: [], extra: { [CALLER_KEY]: caller } };
    await (await serve())(req, res, req.body);
  });

  r.all('/mcp', (_req, res, next) => {
    res.setHeader('Allow', 'POST');
    next(gwError('GW_ERR_METHOD_NOT_ALLOWED', 'This endpoint is stateless: send JSON-RPC with POST.'));
  });

  return r;
}

/**
 * Mounted by app.ts ahead of the problem+json renderer: the app-wide JSON parser runs before
 * any route, so a body on /mcp that is not JSON reaches here and is answered as JSON-RPC
 * (-32700 Parse error, HTTP 400) instead of problem+json. Every other error passes on.
 */
export function mcpParseErrors(ctx: Pick<CoreContext, 'metrics'>): ErrorRequestHandler {
  return (err, _req, res, next) => {
    const known = err instanceof GatewayError ? err : fromFrameworkError(err);
    if (known?.code === 'GW_ERR_BAD_JSON' && !res.headersSent) {
      ctx.metrics.mcpRequest('invalid', 'protocol_error');
      jsonRpcError(res, 400, -32700, 'Parse error: the body is not valid JSON.');
      return;
    }
    next(err);
  };
}
