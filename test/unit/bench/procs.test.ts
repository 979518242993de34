// The benchmark's memory readings: Pss splits shared pages, so a tree's Pss is below its RSS sum
// as soon as two processes map the same node binary.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { pssMiB, rssMiB, treePssMiB, treeRssMiB } from '../../../scripts/bench/procs.ts';

test('Pss of this process is positive and at most its RSS; a gone process reads NaN', () => {
  const pss = pssMiB(process.pid);
  assert.ok(pss > 0 && pss <= rssMiB(process.pid), `pss ${pss}`);
  assert.ok(Number.isNaN(pssMiB(2 ** 22 + 12_345)));
});

test('the tree sums include a child; with the node binary shared, the tree Pss is below the tree RSS', async (t) => {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 20000)'], { stdio: 'ignore' });
  t.after(() => child.kill('SIGKILL'));
  await new Promise((r) => setTimeout(r, 500));
  const childRss = rssMiB(child.pid ?? -1);
  assert.ok(childRss > 0);
  assert.ok(treeRssMiB(process.pid) >= rssMiB(process.pid) + childRss - 1);
  assert.ok(treePssMiB(process.pid) < treeRssMiB(process.pid));
});
