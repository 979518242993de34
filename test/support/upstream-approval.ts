/**
 * Upstream MCP tests: approve a pending call as the admin and wait for its stored record to end
 * (ok or error). Shared by test/integration/upstream-mcp.test.ts and docker-mcp-runtime.test.ts.
 */
import assert from 'node:assert/strict';
import { call } from './gateway.ts';
import { eventually } from './mcp-client.ts';

export async function approveAndWait(url: string, admin: string, pending: { approval_id: string; call_id: string }, label: string): Promise<any> {
  const approved = await call(url, 'POST', `/approvals/${pending.approval_id}/approve`, { token: admin, body: {} });
  assert.ok(approved.status === 200 || approved.status === 202, approved.text);
  return eventually(async () => {
    const r = await call(url, 'GET', `/tools/calls/${pending.call_id}`, { token: admin });
    return r.body?.status === 'ok' || r.body?.status === 'error' ? r.body : undefined;
  }, 30_000, label);
}
