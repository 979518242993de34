/**
 * Opens everything the app needs from a parsed config — the sqlite state, stores, the first
 * admin (or a one-time setup token), the event sink and the worker backends — and returns
 * the app with a close() that flushes and stops them. Used by main.ts and by tests.
 */
import type { Express } from 'express';
import { createApp } from './app.ts';
import { AgentStore } from './auth/agents.ts';
import { hashPassword } from './auth/password.ts';
import { AUTH_MIGRATIONS } from './auth/schema.ts';
import { SessionStore } from './auth/sessions.ts';
import { SetupTokenStore } from './auth/setup.ts';
import { UserStore } from './auth/users.ts';
import type { Config } from './config.ts';
import type { CoreContext, Readiness } from './context.ts';
import type { EventSink } from './events.ts';
import { silentLogger, type Logger } from './logger.ts';
import { openDatabase, type Migration } from './store/db.ts';

export interface GatewayOptions {
  readonly logger?: Logger;
  readonly now?: () => number;
  /** where the one-time setup token is shown (main.ts: stderr) */
  readonly print?: (line: string) => void;
}

export interface Gateway {
  readonly app: Express;
  readonly ctx: CoreContext;
  close(): Promise<void>;
}

export const MIGRATIONS: readonly Migration[] = [...AUTH_MIGRATIONS];

export async function openGateway(config: Config, options: GatewayOptions = {}): Promise<Gateway> {
  const logger = options.logger ?? silentLogger;
  const now = options.now ?? Date.now;
  const db = openDatabase(config.dataDir, MIGRATIONS);
  const users = new UserStore(db);
  const setup = new SetupTokenStore(db);
  await bootstrapAdmin(config, users, setup, now(), logger, options.print ?? ((l) => logger.warn(l)));

  const events: EventSink = {
    record: async (event) => logger.info('event', { event }),
  };
  const readiness = (): Readiness => ({
    status: 'ok',
    backends: { isolate: { healthy: true }, docker: 'disabled' },
  });
  const ctx: CoreContext = {
    config, db, logger, events, now, users, setup, readiness,
    sessions: new SessionStore(db, config.auth),
    agents: new AgentStore(db),
  };
  const app = createApp(ctx);
  return {
    app,
    ctx,
    close: async () => {
      db.close();
    },
  };
}

async function bootstrapAdmin(
  config: Config, users: UserStore, setup: SetupTokenStore, now: number, logger: Logger, print: (line: string) => void,
): Promise<void> {
  if (users.count('admin') > 0) {
    setup.clear();
    return;
  }
  if (config.adminPassword !== undefined) {
    const pw = await hashPassword(config.adminPassword, config.auth.pbkdf2Iterations);
    users.create('admin', 'admin', pw, now);
    setup.clear();
    logger.info('created the first admin "admin" from PALISADE_ADMIN_PASSWORD');
    return;
  }
  const token = setup.issue(now);
  print('================================================================');
  print('Palisade has no admin yet. Create one within this run with:');
  print(`  curl -sS -X POST http://127.0.0.1:${config.port}/admin/setup -H 'Content-Type: application/json' \\`);
  print(`    -d '{"setup_token":"${token}","username":"admin","password":"<12+ chars>"}'`);
  print('This one-time token is shown only now and is replaced at the next start.');
  print('================================================================');
}
