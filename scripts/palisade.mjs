#!/usr/bin/env node
// palisade bin shim. Palisade needs Node 24 (it runs .ts directly). `npx palisade` inside the
// project puts node_modules/.bin (the pinned Node 24 from the `node` package) first on PATH;
// when an older Node runs this shim anyway (e.g. `npx --prefix <project> palisade` from another
// folder), it hands over to the project's pinned Node, and refuses with a fix line when there
// is none. This guard replaces package.json "engines", which made npm print EBADENGINE warnings
// on every command under an older system Node.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const major = Number(process.versions.node.split('.')[0]);
const cli = fileURLToPath(new URL('./cli.ts', import.meta.url));
if (major >= 24) {
  await import('./cli.ts');
} else {
  const pinned = fileURLToPath(new URL(`../node_modules/.bin/${process.platform === 'win32' ? 'node.cmd' : 'node'}`, import.meta.url));
  if (!existsSync(pinned)) {
    process.stderr.write(
      `palisade: Node ${process.versions.node} is too old; Palisade needs Node 24 or newer.\n` +
        'Run "npm ci" in the project and use "npx palisade ..." (it uses the pinned Node 24 from node_modules/.bin),\n' +
        'or run node_modules/.bin/node scripts/cli.ts ...\n',
    );
    process.exit(2);
  }
  const child = spawn(pinned, [cli, ...process.argv.slice(2)], { stdio: 'inherit' });
  const forward = (signal) => () => child.kill(signal);
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(s, forward(s));
  child.on('error', (error) => {
    process.stderr.write(`palisade: cannot run ${pinned}: ${error.message}\n`);
    process.exit(2);
  });
  child.on('exit', (code, signal) => {
    if (signal !== null) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    }
    process.exit(code ?? 1);
  });
}
