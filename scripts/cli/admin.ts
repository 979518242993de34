/** `palisade admin create|passwd`: accounts written straight into the sqlite state. */
import { enqueueAuditEvent } from '../../agent-gateway/audit/outbox.ts';
import { hashPassword } from '../../agent-gateway/auth/password.ts';
import { USERNAME_PATTERN, type Role } from '../../agent-gateway/auth/users.ts';
import { flag, parse, str } from './args.ts';
import { loadConfig } from './config.ts';
import { readNewPassword } from './password.ts';
import { withState } from './state.ts';
import { EXIT, EXIT_CODES_HELP, usageError, type Command, type Group, type Io } from './types.ts';

const PASSWORD_INPUT = `The password is never taken from the command line: pipe it on stdin (one line), or type
it at the prompt (asked twice, not echoed) when stdin is a terminal.`;

const CREATE_HELP = `Usage: palisade admin create <username> [--role admin|user] [--password-stdin]

Creates an account in PALISADE_DATA_DIR (PBKDF2-HMAC-SHA256, PALISADE_PBKDF2_ITERATIONS,
default 600,000). Creating an admin also discards any pending one-time setup token.
Usernames: lowercase ASCII letters, digits, '_', '.', '-' (1-64, starting with a letter or digit).
${PASSWORD_INPUT}

Options:
  --role <role>      admin (default) or user
  --password-stdin   read the password from stdin even when it is a terminal
  -h, --help         show this help

Example: printf '%s\\n' "$PW" | palisade admin create alice --role admin

${EXIT_CODES_HELP}
  (1 here: the username exists)`;

const PASSWD_HELP = `Usage: palisade admin passwd <username> [--password-stdin]

Sets a new password and revokes every session of that user (their access and refresh tokens
stop working at once, also on a running gateway).
${PASSWORD_INPUT}

Options:
  --password-stdin   read the password from stdin even when it is a terminal
  -h, --help         show this help

${EXIT_CODES_HELP}
  (1 here: no such user)`;

/** Catches the mistake of passing a password as an argument before anything else happens. */
function refusePasswordArgs(argv: readonly string[]): void {
  if (argv.some((a) => a === '--password' || a.startsWith('--password=') || a === '-p')) {
    throw usageError('passwords are never taken from the command line (they would land in shell history and ps); pipe it on stdin');
  }
}

function username(raw: string | undefined): string {
  if (raw === undefined || !new RegExp(USERNAME_PATTERN).test(raw)) {
    throw usageError(`invalid username ${JSON.stringify((raw ?? '').slice(0, 80))}: use 1-64 of a-z 0-9 _ . - starting with a letter or digit`);
  }
  return raw;
}

const create: Command = {
  summary: 'create an admin or user account',
  help: CREATE_HELP,
  async run(argv, io: Io) {
    refusePasswordArgs(argv);
    const p = parse(argv, { role: { type: 'string' }, 'password-stdin': { type: 'boolean' } }, { min: 1, max: 1 });
    if (p.help) return (io.out(`${CREATE_HELP}\n`), EXIT.OK);
    const name = username(p.positionals[0]);
    const roleRaw = str(p, 'role') ?? 'admin';
    if (roleRaw !== 'admin' && roleRaw !== 'user') throw usageError('--role must be admin or user');
    const role: Role = roleRaw;
    const config = loadConfig(io);
    const password = await readNewPassword(io, flag(p, 'password-stdin'));
    const pw = await hashPassword(password, config.auth.pbkdf2Iterations);
    return withState(config, (s) => {
      if (!s.users.create(name, role, pw, Date.now())) {
        io.err(`palisade: user ${JSON.stringify(name)} exists; use "palisade admin passwd ${name}" to change its password\n`);
        return EXIT.FAILED;
      }
      if (role === 'admin') s.setup.clear();
      enqueueAuditEvent(s.db, { type: 'user.create', actor: 'cli', subject: name, outcome: 'ok', data: { role } });
      io.out(`created ${role} ${JSON.stringify(name)} in ${config.dataDir}\n`);
      return EXIT.OK;
    });
  },
};

const passwd: Command = {
  summary: "set a user's password and revoke their sessions",
  help: PASSWD_HELP,
  async run(argv, io: Io) {
    refusePasswordArgs(argv);
    const p = parse(argv, { 'password-stdin': { type: 'boolean' } }, { min: 1, max: 1 });
    if (p.help) return (io.out(`${PASSWD_HELP}\n`), EXIT.OK);
    const name = username(p.positionals[0]);
    const config = loadConfig(io);
    const exists = await withState(config, (s) => s.users.get(name) !== undefined);
    if (!exists) {
      io.err(`palisade: no user ${JSON.stringify(name)}\n`);
      return EXIT.FAILED;
    }
    const password = await readNewPassword(io, flag(p, 'password-stdin'));
    const pw = await hashPassword(password, config.auth.pbkdf2Iterations);
    return withState(config, (s) => {
      const now = Date.now();
      if (!s.users.setPassword(name, pw, now)) {
        io.err(`palisade: no user ${JSON.stringify(name)}\n`);
        return EXIT.FAILED;
      }
      const revoked = s.sessions.revokeUser(name, now, 'password_changed');
      enqueueAuditEvent(s.db, { type: 'user.password', actor: 'cli', subject: name, outcome: 'ok', data: { sessions_revoked: revoked } });
      io.out(`password changed for ${JSON.stringify(name)}; ${revoked} session(s) revoked\n`);
      return EXIT.OK;
    });
  },
};

export const adminGroup: Group = {
  summary: 'manage admin and user accounts',
  help: `Usage: palisade admin <command> [options]

Commands:
  create <username> [--role admin|user]   ${create.summary}
  passwd <username>                       ${passwd.summary}

Run "palisade admin <command> --help" for details.

${EXIT_CODES_HELP}`,
  commands: { create, passwd },
};
