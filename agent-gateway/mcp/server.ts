/**
 * The MCP server one request is served by: tools/list and tools/call for one authenticated
 * agent, built per request by the SDK's stateless handler (createMcpHandler). A thin adapter:
 * tools/list is registry.listInScope, tools/call is the one pipeline (callTool, via "mcp"),
 * and the outcomes are mapped by result.ts. No tool logic, policy or validation lives here.
 */
import { Server, type CallToolResult, type McpRequestContext, type ServerContext } from '@modelcontextprotocol/server';
import { callTool } from '../tools/pipeline.ts';
import type { ToolServices } from '../tools/services.ts';
import {
  callBodyResult, decidedResult, errorResult, pendingResult, refusalResult, toMcpTool, type McpToolResult, type PendingBody,
} from './result.ts';
import { waitForDecision } from './wait.ts';
import { CALLER_KEY, type McpCaller, type McpCallOutcome } from './caller.ts';

export { CALLER_KEY, type McpCaller, type McpCallOutcome };

export const SERVER_INFO = Object.freeze({ name: 'palisade', version: '0.1.0' });

export interface McpServerOptions {
  /** PALISADE_MCP_APPROVAL_WAIT_SECONDS: 0 answers a pending call at once */
  readonly approvalWaitSeconds: number;
  /** interval of progress notifications while waiting (when the client sent a progressToken) */
  readonly progressIntervalMs?: number;
}

/** progress notifications while a call waits for approval (when the client asked for progress) */
export const PROGRESS_INTERVAL_MS = 5_000;

export function callerOf(ctx: McpRequestContext): McpCaller {
  const caller = ctx.authInfo?.extra?.[CALLER_KEY] as McpCaller | undefined;
  // the route authenticates before the SDK runs; reaching this without a caller is a wiring bug
  if (caller === undefined) throw new Error('MCP request without an authenticated agent');
  return caller;
}

async function waitOrPending(svc: ToolServices, pending: PendingBody, opts: McpServerOptions, ctx: ServerContext, caller: McpCaller): Promise<McpToolResult> {
  const token = ctx.mcpReq._meta?.progressToken;
  let progress = 0;
  const outcome = await waitForDecision(svc, {
    approvalId: pending.approval_id,
    callId: pending.call_id,
    timeoutMs: opts.approvalWaitSeconds * 1000,
    signal: ctx.mcpReq.signal,
    tickMs: opts.progressIntervalMs ?? PROGRESS_INTERVAL_MS,
    ...(token === undefined ? {} : {
      onTick: (elapsedMs: number) => {
        progress += 1;
        void ctx.mcpReq.notify({
          method: 'notifications/progress',
          params: { progressToken: token, progress, message: `waiting for approval ${pending.approval_id} (${Math.round(elapsedMs / 1000)} s)` },
        }).catch(() => {});
      },
    }),
  });
  switch (outcome.state) {
    case 'done': {
      const r = outcome.record;
      caller.outcome = r.status === 'ok' ? 'ok' : 'error';
      return r.status === 'ok'
        ? callBodyResult({ status: 'ok', call_id: r.call_id, tool: r.tool, result: r.result, duration_ms: r.duration_ms ?? 0 })
        : errorResult(r.error?.code ?? 'GW_ERR_INTERNAL', r.error?.message ?? 'The approved call failed.', { call_id: r.call_id });
    }
    case 'rejected':
      caller.outcome = 'rejected';
      return decidedResult('approval_rejected', pending);
    case 'expired':
      caller.outcome = 'expired';
      return decidedResult('approval_expired', pending);
    case 'missing':
    case 'timeout':
    case 'aborted':
    case 'unavailable':
      // still undecided (or the client left): the approval stays queued for an admin
      return pendingResult(pending);
    default: {
      const never: never = outcome;
      return never;
    }
  }
}

export function createMcpServerFactory(svc: ToolServices, opts: McpServerOptions): (ctx: McpRequestContext) => Server {
  return (ctx) => {
    const caller = callerOf(ctx);
    const server = new Server(SERVER_INFO, { capabilities: { tools: { listChanged: false } } });

    server.setRequestHandler('tools/list', () => ({
      tools: svc.registry.listInScope(caller.agent.tools).map(toMcpTool),
    }));

    server.setRequestHandler('tools/call', async (request, handlerCtx) => {
      const { name } = request.params;
      const args: unknown = request.params.arguments;
      let result: McpToolResult;
      try {
        const outcome = await callTool(svc, {
          agent: caller.agent,
          body: args === undefined ? { tool: name } : { tool: name, args },
          requestId: caller.requestId,
          via: 'mcp',
          withdraw: handlerCtx.mcpReq.signal, // the SDK's: fires when the request is cancelled or its HTTP client goes away
        });
        if (outcome.status === 200) {
          caller.outcome = outcome.body.status === 'ok' ? 'ok' : 'error';
          result = callBodyResult(outcome.body);
        } else {
          caller.outcome = 'pending';
          result = opts.approvalWaitSeconds > 0
            ? await waitOrPending(svc, outcome.body, opts, handlerCtx, caller)
            : pendingResult(outcome.body);
        }
      } catch (error) {
        caller.outcome = 'error';
        result = refusalResult(error);
      }
      return server.projectCallToolResult(result as CallToolResult, undefined);
    });
    return server;
  };
}
