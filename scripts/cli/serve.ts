/** `palisade serve`: runs the gateway exactly as `npm start` does (agent-gateway/main.ts). */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { GATEWAY_NODE_FLAGS } from '../../agent-gateway/node-flags.ts';
import { parse } from './args.ts';
import { EXIT, type Command, type ExitCode } from './types.ts';

const SERVE_HELP = `Usage: palisade serve

Starts the gateway on PALISADE_HOST:PALISADE_PORT (default 127.0.0.1:8080) with the
configuration from the PALISADE_* environment (see README). Logs JSON to stdout; stops
gracefully on SIGTERM/SIGINT (stops accepting, finishes in-flight calls, flushes the audit log).
Same as "npm start".

Options:
  -h, --help   show this help

Exit codes:
  0  stopped cleanly after a signal
  1  the server failed (e.g. the port is in use) or shutdown timed out
  2  invalid configuration (every problem is listed)
  3  runtime error while starting (e.g. an unreadable data dir or key file)`;

export const serve: Command = {
  summary: 'run the gateway (same as npm start)',
  help: SERVE_HELP,
  async run(argv, io) {
    const p = parse(argv, {}, { min: 0, max: 0 });
    if (p.help) return (io.out(`${SERVE_HELP}\n`), EXIT.OK);
    // the gateway's V8 flags (agent-gateway/node-flags.ts) can only be set when a process starts
    if (!GATEWAY_NODE_FLAGS.every((f) => process.execArgv.includes(f))) return runWithFlags();
    // main.ts reads process.env, listens, and owns signals and process exit from here on.
    await import('../../agent-gateway/main.ts');
    return EXIT.OK;
  },
};

/** Runs main.ts in a child with the gateway's flags; signals are passed on, its exit code is ours. */
function runWithFlags(): Promise<ExitCode> {
  const main = fileURLToPath(new URL('../../agent-gateway/main.ts', import.meta.url));
  const child = spawn(process.execPath, [...GATEWAY_NODE_FLAGS, main], { stdio: 'inherit' });
  const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, forward(s));
  return new Promise((resolve) => {
    child.on('error', () => resolve(EXIT.RUNTIME));
    child.on('exit', (code) => resolve(code === EXIT.OK || code === EXIT.USAGE || code === EXIT.RUNTIME ? code : EXIT.FAILED));
  });
}
