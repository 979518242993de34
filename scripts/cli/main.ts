/**
 * The `palisade` dispatcher: walks `<group> <command>` or a top-level command, prints help,
 * and maps every outcome to a documented exit code.
 */
import { adminGroup } from './admin.ts';
import { agentGroup } from './agent.ts';
import { auditGroup } from './audit.ts';
import { doctor } from './doctor.ts';
import { lockGroup } from './lock.ts';
import { mcp } from './mcp.ts';
import { serve } from './serve.ts';
import { CliError, EXIT, EXIT_CODES_HELP, type Command, type ExitCode, type Group, type Io } from './types.ts';

const TOP: Readonly<Record<string, Command>> = { serve, doctor, mcp };
const GROUPS: Readonly<Record<string, Group>> = { admin: adminGroup, agent: agentGroup, audit: auditGroup, lock: lockGroup };

export const TOP_HELP = `Usage: palisade <command> [options]

Palisade: localhost agent gateway and sandboxed worker supervisor.

Commands:
  serve                                       ${serve.summary}
  admin create <username> [--role admin|user] create an account (password on stdin)
  admin passwd <username>                     set a password, revoke that user's sessions
  agent issue <id> --tools a,b* [--ttl s]     create an agent, print its token once
  agent revoke <id>                           revoke an agent's token
  agent list                                  list agents
  audit verify                                verify the audit log; print the first bad seq
  audit export [--since --until --format json|csv]   export decrypted entries
  audit tail [-n N]                           print the last N entries
  lock verify                                 verify node_modules against requirements.lock.json
  doctor                                      ${doctor.summary}
  mcp [--url U]                               ${mcp.summary}

Configuration comes from the same PALISADE_* environment as the gateway (PALISADE_DATA_DIR,
PALISADE_AUDIT_KEY, ...). "palisade <command> --help" shows each command's options.

${EXIT_CODES_HELP}`;

const isHelp = (a: string | undefined): boolean => a === '--help' || a === '-h' || a === 'help';

function unknown(what: string, name: string, hint: string): CliError {
  return new CliError(EXIT.USAGE, `unknown ${what} ${JSON.stringify(name.slice(0, 60))}; ${hint}`);
}

async function dispatch(argv: readonly string[], io: Io): Promise<ExitCode> {
  const [first, second, ...rest] = argv;
  if (first === undefined) {
    io.err(`${TOP_HELP}\n`);
    return EXIT.USAGE;
  }
  if (isHelp(first)) {
    io.out(`${TOP_HELP}\n`);
    return EXIT.OK;
  }
  if (first === '--version' || first === '-v') {
    io.out('palisade 0.1.0\n');
    return EXIT.OK;
  }
  const top = Object.hasOwn(TOP, first) ? TOP[first] : undefined;
  if (top !== undefined) return top.run(argv.slice(1), io);
  const group = Object.hasOwn(GROUPS, first) ? GROUPS[first] : undefined;
  if (group === undefined) throw unknown('command', first, 'run "palisade --help"');
  if (second === undefined) {
    io.err(`${group.help}\n`);
    return EXIT.USAGE;
  }
  if (isHelp(second)) {
    io.out(`${group.help}\n`);
    return EXIT.OK;
  }
  const command = Object.hasOwn(group.commands, second) ? group.commands[second] : undefined;
  if (command === undefined) throw unknown(`${first} command`, second, `run "palisade ${first} --help"`);
  return command.run(rest, io);
}

/** Runs one CLI invocation; never throws. */
export async function runCli(argv: readonly string[], io: Io): Promise<ExitCode> {
  try {
    return await dispatch(argv, io);
  } catch (error) {
    if (error instanceof CliError) {
      io.err(`palisade: ${error.message}\n`);
      if (error.exitCode === EXIT.USAGE && !error.message.startsWith('invalid configuration')) io.err('(run with --help for usage)\n');
      return error.exitCode;
    }
    io.err(`palisade: unexpected error: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT.RUNTIME;
  }
}
