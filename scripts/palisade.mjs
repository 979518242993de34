#!/usr/bin/env node
// palisade bin shim: refuses an old Node with a clear message, then runs the TypeScript CLI
// (Node 24 runs .ts directly). `npx palisade` puts node_modules/.bin (the pinned Node 24) first.
const major = Number(process.versions.node.split('.')[0]);
if (!(major >= 24)) {
  process.stderr.write(
    `palisade: Node ${process.versions.node} is too old; Palisade needs Node 24 or newer.\n` +
      'Run "npm ci" in the project and use "npx palisade ..." (it uses the pinned Node 24 from node_modules/.bin),\n' +
      'or run node_modules/.bin/node scripts/cli.ts ...\n',
  );
  process.exit(2);
}
await import('./cli.ts');
