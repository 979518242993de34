/**
 * Opens the gateway's sqlite state under PALISADE_DATA_DIR (same migrations as the gateway)
 * with the stores the CLI writes through. SQLite WAL + busy_timeout make this safe while a
 * gateway runs on the same data dir; the gateway reads users, sessions and agents per request.
 */
import type { DatabaseSync } from 'node:sqlite';
import type { Config } from '../../agent-gateway/config.ts';
import { MIGRATIONS } from '../../agent-gateway/migrations.ts';
import { AgentStore } from '../../agent-gateway/auth/agents.ts';
import { SessionStore } from '../../agent-gateway/auth/sessions.ts';
import { SetupTokenStore } from '../../agent-gateway/auth/setup.ts';
import { UserStore } from '../../agent-gateway/auth/users.ts';
import { openDatabase } from '../../agent-gateway/store/db.ts';
import { CliError, EXIT } from './types.ts';

export interface State {
  readonly db: DatabaseSync;
  readonly users: UserStore;
  readonly sessions: SessionStore;
  readonly agents: AgentStore;
  readonly setup: SetupTokenStore;
  close(): void;
}

export function openState(config: Config): State {
  let db: DatabaseSync;
  try {
    db = openDatabase(config.dataDir, MIGRATIONS);
  } catch (error) {
    throw new CliError(EXIT.RUNTIME, `cannot open the database in ${config.dataDir}: ${(error as Error).message}`);
  }
  return {
    db,
    users: new UserStore(db),
    sessions: new SessionStore(db, config.auth),
    agents: new AgentStore(db),
    setup: new SetupTokenStore(db),
    close: () => db.close(),
  };
}

/** Runs `fn` with the state open and always closes it. */
export async function withState<T>(config: Config, fn: (s: State) => Promise<T> | T): Promise<T> {
  const state = openState(config);
  try {
    return await fn(state);
  } finally {
    state.close();
  }
}
