/**
 * What the /mcp route hands the per-request MCP server, through the SDK's pass-through
 * authInfo. Its own module so the route can name it without loading the MCP SDK, which
 * handler.ts loads on the first /mcp request (issue 12: no large eager imports at start).
 */
import type { AgentPrincipal } from '../auth/agents.ts';

export type McpCallOutcome = 'ok' | 'error' | 'pending' | 'rejected' | 'expired';

export interface McpCaller {
  readonly agent: AgentPrincipal;
  readonly requestId: string;
  /** set by the tools/call handler so the route can label its metric */
  outcome?: McpCallOutcome;
}

export const CALLER_KEY = 'palisade_caller';
