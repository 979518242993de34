/**
 * The Node request handler for POST /mcp: the SDK's stateless handler over the per-request
 * server factory. Loaded by the route on the first /mcp request (dynamic import), so a gateway
 * that no MCP client talks to never loads the MCP SDK (issue 12: start time and footprint).
 */
import { createMcpHandler } from '@modelcontextprotocol/server';
import { toNodeHandler, type NodeMcpRequestHandler } from '@modelcontextprotocol/node';
import type { ToolServices } from '../tools/services.ts';
import { createMcpServerFactory, type McpServerOptions } from './server.ts';

export type McpNodeHandler = NodeMcpRequestHandler;

export function mcpNodeHandler(svc: ToolServices, options: McpServerOptions, maxBodyBytes: number, onerror: (error: Error) => void): McpNodeHandler {
  const handler = createMcpHandler(createMcpServerFactory(svc, options), {
    legacy: 'stateless', responseMode: 'auto', maxRequestBodySize: maxBodyBytes, onerror,
  });
  return toNodeHandler(handler, { maxRequestBodySize: maxBodyBytes, onerror });
}
