/**
 * The MCP client SDK, loaded on first use: a gateway with no upstream MCP server never loads it
 * (issue 12 item 5: nothing large is imported at start for a feature that is not in use).
 */
export type McpClientSdk = typeof import('@modelcontextprotocol/client');

let loading: Promise<McpClientSdk> | undefined;

export function loadMcpClientSdk(): Promise<McpClientSdk> {
  return (loading ??= import('@modelcontextprotocol/client'));
}
