/**
 * The worker's sources as the image holds them (sandbox/docker/worker-js.ts, issue 15): types
 * stripped at build, relative `.ts` specifiers renamed to `.js`, nothing else touched; the real
 * worker closure, written out that way, loads in plain Node with no type stripping at all.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { workerSources } from '../../../sandbox/docker/image.ts';
import { jsName, workerJs } from '../../../sandbox/docker/worker-js.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

test('types are stripped and only import specifiers of our .ts files are renamed', () => {
  const out = workerJs([
    "import type { A } from './a.ts';",
    "import { b, type C } from '../b.ts';",
    "export { d } from './d.ts';",
    "import './side.ts';",
    "const e = await import('./e.ts');",
    "import { f } from 'node:fs';",
    "const s: string = 'x.ts';",
    "const t = \"./quoted.ts\";",
  ].join('\n'));
  assert.doesNotMatch(out, /import type|type C|: string/);
  assert.match(out, /from '\.\.\/b\.js'/);
  assert.match(out, /export \{ d \} from '\.\/d\.js'/);
  assert.match(out, /import '\.\/side\.js'/);
  assert.match(out, /import\('\.\/e\.js'\)/);
  assert.match(out, /from 'node:fs'/);
  assert.match(out, /'x\.ts'/, 'a string that is not a specifier stays');
  assert.match(out, /"\.\/quoted\.ts"/);
  assert.doesNotMatch(out, /'\.\/a\.(ts|js)'/, 'a type-only import is gone');
  assert.equal(jsName('sandbox/x.ts'), 'sandbox/x.js');
  assert.throws(() => jsName('sandbox/x.js'));
});

test('syntax Node could not strip (an enum) is refused at build, not shipped', () => {
  assert.throws(() => workerJs('enum E { A }'));
});

test('the worker closure as JavaScript loads in Node with type stripping off', (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'palisade-worker-js-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'package.json'), '{"type":"module"}\n');
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules')); // isolated-vm and ses, as /app/node_modules has them
  for (const rel of workerSources()) {
    const target = path.join(dir, jsName(rel));
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, workerJs(readFileSync(path.join(ROOT, rel), 'utf8')));
  }
  // every module but the entry (which starts reading stdin frames) is imported, nothing is missing
  const modules = workerSources().filter((r) => r !== 'sandbox/docker/worker/main.ts').map((r) => path.join(dir, jsName(r)));
  const code = `for (const m of ${JSON.stringify(modules)}) await import(m); console.log('loaded ' + ${modules.length});`;
  const r = spawnSync(process.execPath, ['--no-experimental-strip-types', '--input-type=module', '-e', code], { encoding: 'utf8', cwd: dir });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), `loaded ${modules.length}`);
});
