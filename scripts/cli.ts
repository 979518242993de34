/**
 * `palisade` command line (run by scripts/palisade.mjs, or `node scripts/cli.ts ...` on Node 24).
 * See `palisade --help` and docs/cli.md.
 */
import { runCli } from './cli/main.ts';

process.exitCode = await runCli(process.argv.slice(2), {
  env: process.env,
  stdin: process.stdin,
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
});
