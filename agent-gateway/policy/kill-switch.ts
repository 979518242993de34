/**
 * Kill switch, persisted in sqlite so it survives a restart. While `state().active` is true the
 * gateway refuses every tool execution path with 503 GW_ERR_KILL_SWITCH (`killSwitchGate`).
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { isPlainObject } from '../../sandbox/json.ts';

export interface KillSwitchState {
  readonly active: boolean;
  readonly reason: string | null;
  readonly actor: string | null;
  /** ms since epoch of the last change; null before the first change */
  readonly since: number | null;
}

export const KILL_SWITCH_REASON_MAX = 512;

export class KillSwitchStore {
  readonly #db: DatabaseSync;
  readonly #now: () => number;
  #state: KillSwitchState;
  /** prepared once, on first write (issue 12: no per-request prepare) */
  #upsert: StatementSync | undefined;

  constructor(db: DatabaseSync, options: { now?: () => number } = {}) {
    this.#db = db;
    this.#now = options.now ?? Date.now;
    this.#state = this.#load();
  }

  state(): KillSwitchState {
    return this.#state;
  }

  activate(reason: string, actor: string): KillSwitchState {
    return this.#write(true, reason, actor);
  }

  deactivate(actor: string): KillSwitchState {
    return this.#write(false, null, actor);
  }

  #write(active: boolean, reason: string | null, actor: string): KillSwitchState {
    const since = this.#now();
    this.#upsert ??= this.#db.prepare(`INSERT INTO kill_switch (id, active, reason, actor, since) VALUES (1, ?, ?, ?, ?)
      ON CONFLICT (id) DO UPDATE SET active = excluded.active, reason = excluded.reason, actor = excluded.actor, since = excluded.since`);
    this.#upsert.run(active ? 1 : 0, reason, actor, since);
    this.#state = Object.freeze({ active, reason, actor, since });
    return this.#state;
  }

  #load(): KillSwitchState {
    const row = this.#db.prepare('SELECT active, reason, actor, since FROM kill_switch WHERE id = 1').get();
    if (row === undefined) return Object.freeze({ active: false, reason: null, actor: null, since: null });
    return Object.freeze({
      active: Number(row['active']) === 1,
      reason: row['reason'] === null ? null : String(row['reason']),
      actor: String(row['actor']),
      since: Number(row['since']),
    });
  }
}

/** Pure gate for every execution path. */
export function killSwitchGate(state: KillSwitchState): { ok: true } | { ok: false; code: 'GW_ERR_KILL_SWITCH' } {
  return state.active ? { ok: false, code: 'GW_ERR_KILL_SWITCH' } : { ok: true };
}

/** POST /admin/kill-switch body `{reason}`: 1..512 characters, nothing else. */
export function parseKillSwitchBody(body: unknown):
  { ok: true; reason: string } | { ok: false; errors: { instancePath: string; message: string }[] } {
  if (!isPlainObject(body)) return { ok: false, errors: [{ instancePath: '', message: 'must be an object' }] };
  const extra = Object.keys(body).filter((k) => k !== 'reason');
  if (extra.length > 0) return { ok: false, errors: [{ instancePath: '', message: 'must NOT have additional properties' }] };
  const reason = body['reason'];
  if (typeof reason !== 'string' || reason.trim().length === 0 || reason.length > KILL_SWITCH_REASON_MAX) {
    return { ok: false, errors: [{ instancePath: '/reason', message: `must be a non-empty string of at most ${KILL_SWITCH_REASON_MAX} characters` }] };
  }
  return { ok: true, reason };
}
