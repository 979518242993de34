import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const REPO = resolve(dirname(import.meta.dirname), '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'palisade-sbom-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Component { name: string; version: string; hashes?: { alg: string; content: string }[] }
const readJson = (f: string): unknown => JSON.parse(readFileSync(f, 'utf8'));

const runtimeFile = join(dir, 'runtime', 'palisade.cdx.json');
const fullFile = join(dir, 'full.cdx.json');
const run = spawnSync(process.execPath, [join(REPO, 'scripts', 'sbom.ts'), '--out', runtimeFile, '--full-out', fullFile], {
  cwd: REPO, encoding: 'utf8', timeout: 240_000,
});

test('npm run sbom writes CycloneDX runtime and full SBOMs to the requested paths and exits 0', () => {
  assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
  for (const f of [runtimeFile, fullFile]) {
    const doc = readJson(f) as { bomFormat: string; specVersion: string; components: unknown[] };
    assert.equal(doc.bomFormat, 'CycloneDX');
    assert.match(doc.specVersion, /^1\.\d+$/);
    assert.ok(doc.components.length > 0);
  }
});

test('the runtime SBOM lists every runtime dependency from package.json at its locked version, and no dev-only tool', () => {
  const pkg = readJson(join(REPO, 'package.json')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
  const lock = readJson(join(REPO, 'package-lock.json')) as { packages: Record<string, { version: string; dev?: boolean }> };
  const comps = (readJson(runtimeFile) as { components: Component[] }).components;
  const have = new Set(comps.map((c) => `${c.name}@${c.version}`));
  for (const name of Object.keys(pkg.dependencies)) {
    const locked = lock.packages[`node_modules/${name}`]?.version;
    assert.ok(locked, `${name} not in package-lock.json`);
    assert.ok(have.has(`${name}@${locked}`), `runtime SBOM lacks ${name}@${locked}`);
  }
  for (const name of Object.keys(pkg.devDependencies)) {
    if (lock.packages[`node_modules/${name}`]?.dev === true) assert.ok(!comps.some((c) => c.name === name), `dev-only ${name} in runtime SBOM`);
  }
  const full = new Set((readJson(fullFile) as { components: Component[] }).components.map((c) => c.name));
  for (const name of Object.keys(pkg.devDependencies)) assert.ok(full.has(name), `full SBOM lacks ${name}`);
});

test('every SBOM component hash agrees with the sha512 integrity in requirements.lock.json', () => {
  const req = readJson(join(REPO, 'requirements.lock.json')) as {
    packages: { path: string; name: string; version: string; integrity: string; installScript: string }[];
  };
  const integrity = new Map(req.packages.map((p) => [`${p.name}@${p.version}`, p.integrity] as const));
  // Packages an ALLOWED install script installed (the `node` package fetches its platform
  // binary) are not in package-lock.json; npm records them, with integrity, in the hidden
  // lockfile inside that package, which is what lock:verify checks too.
  for (const owner of req.packages.filter((p) => p.installScript === 'allowed')) {
    const hidden = join(REPO, owner.path, 'node_modules', '.package-lock.json');
    if (!existsSync(hidden)) continue;
    const nested = readJson(hidden) as { packages: Record<string, { version?: string; integrity?: string }> };
    for (const [path, meta] of Object.entries(nested.packages)) {
      const name = path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
      if (meta.version !== undefined && meta.integrity !== undefined) integrity.set(`${name}@${meta.version}`, meta.integrity);
    }
  }
  const comps = (readJson(fullFile) as { components: Component[] }).components;
  let compared = 0;
  for (const c of comps) {
    const sri = integrity.get(`${c.name}@${c.version}`);
    assert.ok(sri, `${c.name}@${c.version} is in the SBOM but not in requirements.lock.json`);
    const h = c.hashes?.find((x) => x.alg === 'SHA-512');
    if (!h) continue;
    assert.equal(`sha512-${Buffer.from(h.content, 'hex').toString('base64')}`, sri, `${c.name}@${c.version}`);
    compared++;
  }
  assert.ok(compared > 0);
});
