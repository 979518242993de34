/** `palisade lock verify`: runs scripts/lock.ts verify (owned by the supply-chain work) and passes its exit code on. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { flag, parse } from './args.ts';
import { EXIT, EXIT_CODES_HELP, type Command, type ExitCode, type Group } from './types.ts';

const LOCK_SCRIPT = fileURLToPath(new URL('../lock.ts', import.meta.url));

const VERIFY_HELP = `Usage: palisade lock verify [--strict]

Checks node_modules against requirements.lock.json (runs "node scripts/lock.ts verify"):
every locked package present with its exact version, nothing unlocked, tarball integrity
re-hashed from the npm cache, install scripts only for packages in package.json allowScripts.

Options:
  --strict     a package whose tarball is not in the npm cache is a failure
  -h, --help   show this help

${EXIT_CODES_HELP}
  (1 here: drift or an integrity/install-script failure)`;

const verify: Command = {
  summary: 'verify node_modules against requirements.lock.json',
  help: VERIFY_HELP,
  async run(argv, io) {
    const p = parse(argv, { strict: { type: 'boolean' } }, { min: 0, max: 0 });
    if (p.help) return (io.out(`${VERIFY_HELP}\n`), EXIT.OK);
    const args = [LOCK_SCRIPT, 'verify', ...(flag(p, 'strict') ? ['--strict'] : [])];
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit'] });
      child.on('error', (error) => {
        io.err(`palisade: cannot run scripts/lock.ts: ${error.message}\n`);
        resolve(null);
      });
      child.on('exit', (c) => resolve(c));
    });
    const known: readonly ExitCode[] = [EXIT.OK, EXIT.FAILED, EXIT.USAGE];
    return known.find((k) => k === code) ?? EXIT.RUNTIME;
  },
};

export const lockGroup: Group = {
  summary: 'supply-chain checks of the installed dependencies',
  help: `Usage: palisade lock <command>

Commands:
  verify [--strict]   ${verify.summary}

${EXIT_CODES_HELP}`,
  commands: { verify },
};
