/**
 * The first admin, once per data dir (openGateway calls this at every start): from
 * PALISADE_ADMIN_PASSWORD when it is set (PBKDF2-hashed), else a one-time setup token printed
 * for POST /admin/setup and replaced at the next start. With an admin present, any setup token
 * left over is cleared.
 */
import { hashPassword } from './auth/password.ts';
import type { SetupTokenStore } from './auth/setup.ts';
import type { UserStore } from './auth/users.ts';
import type { Config } from './config.ts';
import type { Logger } from './logger.ts';

export async function bootstrapAdmin(
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
