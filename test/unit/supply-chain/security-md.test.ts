import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { checkSecurityMd, parseTables } from '../../../scripts/lib/security-md.ts';

const REPO = resolve(dirname(import.meta.dirname), '..', '..');
const isRepoFile = (p: string): boolean => existsSync(join(REPO, p)) && statSync(join(REPO, p)).isFile();

test('SECURITY.md names only test files that exist and every threat row names a test', { skip: !existsSync(join(REPO, 'SECURITY.md')) }, () => {
  const md = readFileSync(join(REPO, 'SECURITY.md'), 'utf8');
  assert.deepEqual(checkSecurityMd(md, isRepoFile), []);
});

const table = (rows: string): string => `# Model\n\n| Threat | Mitigation | Test |\n|---|---|---|\n${rows}\n`;
const present = new Set(['test/http/a.test.ts', 'test/unit/b.test.ts']);
const exists = (p: string): boolean => present.has(p);

test('reports a threat-table test file that does not exist', () => {
  const md = table('| DNS rebinding | Host check | test/http/a.test.ts, test/http/gone.test.ts |');
  assert.deepEqual(checkSecurityMd(md, exists), ['named test file does not exist: test/http/gone.test.ts']);
});

test('reports a missing test file named in prose outside the table', () => {
  const md = `${table('| X | Y | test/http/a.test.ts |')}\nSee test/unit/nowhere.test.ts for details.\n`;
  assert.deepEqual(checkSecurityMd(md, exists), ['named test file does not exist: test/unit/nowhere.test.ts']);
});

test('reports a threat row whose test column is empty or names no test file', () => {
  const md = table('| Kernel exploit | none |  |\n| Timing | constant-time compare | TODO |\n| OK | fine | test/unit/b.test.ts |');
  assert.deepEqual(checkSecurityMd(md, exists), [
    'threat "Kernel exploit" has an empty test column',
    'threat "Timing" names no test/…/*.test.ts file: TODO',
  ]);
});

test('rejects a named test path that climbs out of the repository', () => {
  const md = table('| X | Y | test/../../etc/x.test.ts |');
  assert.deepEqual(checkSecurityMd(md, () => true), ['test path escapes test/: test/../../etc/x.test.ts']);
});

test('fails when there is no threat table at all', () => {
  assert.deepEqual(checkSecurityMd('# Security\n\nNothing here.\n', exists), ['no threat table (a table whose first column is "Threat")']);
});

test('keeps escaped pipes inside one cell so columns do not shift', () => {
  const [t] = parseTables(table('| A \\| B | m | test/http/a.test.ts |'));
  assert.deepEqual(t?.rows, [['A | B', 'm', 'test/http/a.test.ts']]);
});
