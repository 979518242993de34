/**
 * The servers file (declared.ts) applied at every start, before and beside the stored servers'
 * own start:
 *  - declared and stored, but different (package, version, args, env, mounts, network,
 *    overrides): the stored registration is brought to the declaration, audited
 *    `mcp_server.update` (actor `config`) before it applies (audit unavailable: left as stored,
 *    logged). Pins are kept: a tool whose definition changed with the new version is disabled
 *    until an admin re-pins it — the file never re-pins.
 *  - declared, not stored: registered exactly as POST /admin/mcp-servers would (first listing
 *    pinned, `mcp_server.register`, actor `config`). A failure that may pass (start timeout,
 *    audit unavailable, Docker) is retried with backoff (1 s doubling to 60 s) and each one raises
 *    `upstream.crashed`; a refusal that cannot pass (an override naming no tool the server lists)
 *    is raised once, critical.
 *  - stored, not declared: untouched (servers registered through the API stay).
 * A declared server deleted through the API comes back at the next start: remove it from the file.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { auditThen, type GatewayEvent } from '../events.ts';
import { checkOverrides, isEmptyOverride, overridesJson, type ToolOverride } from './overrides.ts';
import type { DeclaredServer } from './declared.ts';
import type { ServerRecord } from './store.ts';
import type { UpstreamOptions } from './running.ts';

export const CONFIG_ACTOR = 'config';
const SOURCE = 'PALISADE_MCP_SERVERS_FILE';
const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 60_000;
/** codes of a registration refusal that retrying cannot change */
const PERMANENT = new Set(['GW_ERR_VALIDATION', 'GW_ERR_UPSTREAM_PACKAGE', 'GW_ERR_UPSTREAM_MOUNT', 'GW_ERR_CONFLICT']);

type Deps = Pick<UpstreamOptions, 'store' | 'events' | 'logger' | 'raise' | 'now'>;

const declaredOverrides = (d: DeclaredServer): ReadonlyMap<string, ToolOverride> => {
  const checked = checkOverrides(d.body.overrides, d.body.name, undefined); // already passed in declared.ts
  return new Map(checked.ok ? [...checked.value].filter(([, o]) => !isEmptyOverride(o)) : []);
};

/** The fields in which a stored registration differs from its declaration (env values compared, never shown). */
export function declarationDrift(stored: ServerRecord, storedEnv: Readonly<Record<string, string>>, storedOverrides: ReadonlyMap<string, ToolOverride>, d: DeclaredServer): string[] {
  const r = d.plan.record;
  const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
  const sorted = (env: Readonly<Record<string, string>>): [string, string][] => Object.entries(env).sort(([a], [b]) => (a < b ? -1 : 1));
  const fields: string[] = [];
  if (stored.package !== r.package) fields.push('package');
  if (stored.version !== r.version) fields.push('version');
  if (!same(stored.args, r.args)) fields.push('args');
  if (!same(sorted(storedEnv), sorted(d.plan.env))) fields.push('env');
  if (!same(stored.mounts, r.mounts)) fields.push('mounts');
  if (stored.network !== r.network) fields.push('network');
  if (!same(overridesJson(storedOverrides), overridesJson(declaredOverrides(d)))) fields.push('overrides');
  return fields;
}

/** Phase 1, before the stored servers start: stored declarations brought up to date. */
export async function updateDeclared(declared: readonly DeclaredServer[], o: Deps): Promise<void> {
  for (const d of declared) {
    const stored = o.store.get(d.body.name);
    if (stored === undefined) continue;
    const fields = declarationDrift(stored, o.store.env(stored.name), o.store.overrides(stored.name), d);
    if (fields.length === 0) continue;
    const overrides = declaredOverrides(d);
    await auditThen(o.events, {
      plan: () => fields,
      event: (f): GatewayEvent => ({
        type: 'mcp_server.update', actor: CONFIG_ACTOR, outcome: 'ok',
        data: { server: stored.name, source: SOURCE, fields: [...f], package: d.plan.record.package, version: d.plan.record.version, overrides: overridesJson(overrides) },
      }),
      apply: () => o.store.update(d.plan.record, d.plan.env, overrides, CONFIG_ACTOR, o.now()),
    }).then(() => o.logger.info('upstream MCP server updated from the servers file', { server: stored.name, fields }), (error: unknown) => {
      o.logger.error('upstream MCP server left as stored: its update from the servers file could not be audited', { server: stored.name, fields, error: String(error).slice(0, 300) });
    });
  }
}

/** Phase 2, beside the stored servers' start: declared servers not stored yet are registered, retried while they may come up. */
export async function registerDeclared(
  declared: readonly DeclaredServer[], o: Deps, register: (d: DeclaredServer) => Promise<unknown>, signal: AbortSignal,
): Promise<void> {
  await Promise.all(declared.filter((d) => o.store.get(d.body.name) === undefined).map(async (d) => {
    for (let attempt = 0; !signal.aborted; attempt += 1) {
      try {
        await register(d);
        return;
      } catch (error) {
        const code = typeof (error as { code?: unknown }).code === 'string' ? String((error as { code: string }).code) : 'error';
        const reason = String((error as { detail?: unknown }).detail ?? (error instanceof Error ? error.message : error)).slice(0, 300);
        if (signal.aborted) return;
        const permanent = PERMANENT.has(code);
        const delay = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** attempt);
        const details = { server: d.body.name, source: SOURCE, code, reason: reason.slice(0, 200) };
        o.logger.warn(permanent ? 'declared upstream MCP server refused' : 'declared upstream MCP server did not start; retrying', { ...details, retry_ms: permanent ? 0 : delay });
        o.raise({
          type: 'upstream.crashed', severity: permanent ? 'critical' : 'warning', details,
          message: `upstream MCP server ${d.body.name} declared in ${SOURCE} ${permanent ? 'was refused' : 'did not start'} (${code}: ${details.reason})${permanent ? '' : `; retrying in ${Math.round(delay / 1000)} s`}`,
        });
        if (permanent) return;
        await sleep(delay, undefined, { signal, ref: false }).catch(() => undefined);
      }
    }
  }));
}
