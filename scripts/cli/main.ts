/**
 * The `palisade` dispatcher: walks `<group> <command>` or a top-level command, prints help,
 * and maps every outcome to a documented exit code.
 */
import { CliError, EXIT, EXIT_CODES_HELP, type Command, type ExitCode, type Group, type Io } from './types.ts';

// Commands load on demand: `palisade agent list` must not pay for the gateway, the sandbox or
// the Docker client (start under 1 s). Summaries for the top-level help live here for the same
// reason; test/unit/cli/main-lazy.test.ts checks they match each command's own summary.
const TOP: Readonly<Record<string, () => Promise<Command>>> = {
  serve: async () => (await import('./serve.ts')).serve,
  doctor: async () => (await import('./doctor.ts')).doctor,
  mcp: async () => (await import('./mcp.ts')).mcp,
};
const GROUPS: Readonly<Record<string, () => Promise<Group>>> = {
  admin: async () => (await import('./admin.ts')).adminGroup,
  agent: async () => (await import('./agent.ts')).agentGroup,
  audit: async () => (await import('./audit.ts')).auditGroup,
  lock: async () => (await import('./lock.ts')).lockGroup,
  receipt: async () => (await import('./receipt.ts')).receiptGroup,
  policy: async () => (await import('./policy.ts')).policyGroup,
};
export const TOP_SUMMARIES = {
  serve: 'run the gateway (same as npm start)',
  doctor: 'check Node, sandboxes, Docker/seccomp, data dir permissions and keys',
  mcp: 'stdio ↔ /mcp bridge for MCP clients (token from PALISADE_AGENT_TOKEN)',
} as const;

export const TOP_HELP = `Usage: palisade <command> [options]

Palisade: localhost agent gateway and sandboxed worker supervisor.

Commands:
  serve                                       ${TOP_SUMMARIES.serve}
  admin create <username> [--role admin|user] create an account (password on stdin)
  admin passwd <username>                     set a password, revoke that user's sessions
  agent issue <id> --tools a,b* [--ttl s]     create an agent, print its token once
  agent revoke <id>                           revoke an agent's token
  agent list                                  list agents
  audit verify                                verify the audit log; print the first bad seq
  audit export [--since --until --format json|csv]   export decrypted entries
  audit tail [-n N]                           print the last N entries
  lock verify                                 verify node_modules against requirements.lock.json
  receipt verify FILE [--key PEM|--url URL]   verify a signed call receipt offline
  policy test FILE.json                       run decision cases against a policy document offline
  doctor                                      ${TOP_SUMMARIES.doctor}
  mcp [--url U]                               ${TOP_SUMMARIES.mcp}

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
  const loadTop = Object.hasOwn(TOP, first) ? TOP[first] : undefined;
  if (loadTop !== undefined) return (await loadTop()).run(argv.slice(1), io);
  const loadGroup = Object.hasOwn(GROUPS, first) ? GROUPS[first] : undefined;
  if (loadGroup === undefined) throw unknown('command', first, 'run "palisade --help"');
  const group = await loadGroup();
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
