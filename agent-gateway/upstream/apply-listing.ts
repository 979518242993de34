/**
 * Definition pinning applied (issue 16 item 4): a server's tools/list is reconciled against its
 * stored pins (pin.ts) and the server's registry entries are rebuilt from it. An enabled tool is
 * exposed as built (tools.ts); a changed one carries GW_ERR_TOOL_DEFINITION_CHANGED and a new one
 * GW_ERR_TOOL_NOT_PINNED, so admission refuses it; a definition that cannot be built is kept
 * aside with its problem; a name of a built-in is never shadowed. The admin's overrides of risk,
 * tags and approval (overrides.ts) apply to every state. A tool that has just changed
 * raises `upstream.definition_changed` (critical, with the diff) and is audited as
 * `mcp_server.definition_changed`.
 */
import type { GatewayEvent } from '../events.ts';
import type { RegisteredTool } from '../tools/registry.ts';
import { reconcile, type UpstreamToolDefinition } from './pin.ts';
import type { Running, UpstreamOptions } from './running.ts';
import { buildUpstreamTool } from './tools.ts';

export type ListingDeps = Pick<UpstreamOptions, 'store' | 'builtinNames' | 'limits' | 'logger' | 'raise' | 'events'>;

export async function applyListing(s: Running, listed: readonly UpstreamToolDefinition[], o: ListingDeps): Promise<void> {
  const pins = o.store.pins(s.record.name);
  const overrides = o.store.overrides(s.record.name);
  const before = new Map(s.states.map((t) => [t.definition.name, t.state]));
  const states = reconcile(pins, listed);
  const tools = new Map<string, RegisteredTool>();
  const problems = new Map<string, string>();
  for (const st of states) {
    const built = buildUpstreamTool(s.record.name, st.definition, st.state === 'changed' ? st.pinned.sha256 : st.sha256, o.limits.callTimeoutMs,
      overrides.get(st.definition.name));
    if (!built.ok) {
      problems.set(st.definition.name, built.problem);
      continue;
    }
    const name = built.tool.manifest.name;
    if (o.builtinNames.includes(name)) continue; // never shadows a built-in
    const unavailable = st.state === 'enabled' ? undefined
      : st.state === 'changed'
        ? { code: 'GW_ERR_TOOL_DEFINITION_CHANGED' as const, detail: `The definition of ${name} changed since it was pinned; it is disabled until an admin re-pins it.` }
        : { code: 'GW_ERR_TOOL_NOT_PINNED' as const, detail: `${name} is new and not pinned; it is disabled until an admin pins it.` };
    tools.set(name, unavailable === undefined ? built.tool : Object.freeze({ ...built.tool, unavailable }));
  }
  s.states = states;
  s.tools = tools;
  s.problems = problems;
  for (const st of states) {
    if (st.state !== 'changed' || before.get(st.definition.name) === 'changed') continue;
    const details = {
      server: s.record.name, tool: `${s.record.name}.${st.definition.name}`, pinned_sha256: st.pinned.sha256, new_sha256: st.sha256,
      diff: st.diff.slice(0, 2000),
    };
    o.logger.warn('upstream tool definition changed; tool disabled', details);
    o.raise({
      type: 'upstream.definition_changed', severity: 'critical',
      message: `upstream tool ${details.tool}: its definition changed since it was pinned; disabled until re-pinned`, details,
    });
    await o.events.record({ type: 'mcp_server.definition_changed', actor: 'system', outcome: 'denied', data: details } satisfies GatewayEvent)
      .catch((error: unknown) => o.logger.error('audit write failed for a definition change', { error: String(error) }));
  }
}
