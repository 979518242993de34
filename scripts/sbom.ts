// Writes CycloneDX SBOMs with `npm sbom`: full, and runtime (the full one less the lockfile's dev-only packages). Exit 0 ok, 1 incomplete SBOM, 2 usage/npm/IO error.
import { execFileSync } from 'node:child_process';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { readJsonFile } from './lib/requirements.ts';
import { missingFromSbom, parseCycloneDx } from './lib/sbom-check.ts';

const HELP = `Usage: node scripts/sbom.ts [--out <file>] [--full-out <file>] [--root <dir>]

Runs \`npm sbom --sbom-format cyclonedx\` and writes CycloneDX JSON:
  --out <file>       runtime SBOM (no dev-only)  default: sbom/palisade.cdx.json
  --full-out <file>  full SBOM incl. dev tools    default: sbom/palisade-full.cdx.json
  --root <dir>       project root                 default: the repository containing this script
Checks that every runtime dependency in package.json appears with its locked version.
Exit codes: 0 ok · 1 SBOM missing a runtime dependency · 2 usage, npm or I/O error`;

function parseArgs(argv: readonly string[]): { root: string; out?: string; fullOut?: string; help: boolean } | string {
  const o: { root: string; out?: string; fullOut?: string; help: boolean } = { root: resolve(dirname(import.meta.dirname)), help: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') { o.help = true; continue; }
    const v = argv[i + 1];
    if ((a === '--out' || a === '--full-out' || a === '--root') && v !== undefined && !v.startsWith('--')) {
      i++;
      if (a === '--out') o.out = resolve(v); else if (a === '--full-out') o.fullOut = resolve(v); else o.root = resolve(v);
    } else return `bad argument: ${String(a)}`;
  }
  return o;
}

function npmSbom(root: string): string {
  const args = ['sbom', '--sbom-format', 'cyclonedx'];
  // stderr (e.g. npm's "Unknown user config" notices) is captured and only shown on failure.
  return execFileSync('npm', args, { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 120_000, stdio: ['ignore', 'pipe', 'pipe'] });
}

type Lock = Record<string, { name?: unknown; version?: unknown; dev?: unknown }>;

/**
 * The runtime SBOM is the full one without the packages package-lock.json marks dev-only.
 * (`npm sbom --omit dev` drops runtime packages that a dev tool also depends on — ajv when a
 * dev tool requires it too — so the lockfile's own dev flags are the source of truth.)
 */
function runtimeOnly(fullJson: string, lock: Lock): string {
  const doc = JSON.parse(fullJson) as { components?: { 'bom-ref'?: string; name?: string; version?: string }[]; dependencies?: { ref: string; dependsOn?: string[] }[] };
  const runtime = new Set<string>();
  for (const [path, entry] of Object.entries(lock)) {
    if (path === '' || entry.dev === true || typeof entry.version !== 'string') continue;
    const name = typeof entry.name === 'string' ? entry.name : path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
    runtime.add(`${name}@${entry.version}`);
  }
  const keep = (c: { name?: string; version?: string }): boolean => runtime.has(`${String(c.name)}@${String(c.version)}`);
  const comps = (doc.components ?? []).filter(keep);
  const refs = new Set(comps.map((c) => c['bom-ref']));
  const rootRef = doc.dependencies?.[0]?.ref;
  const deps = (doc.dependencies ?? [])
    .filter((d) => d.ref === rootRef || refs.has(d.ref))
    .map((d) => ({ ...d, dependsOn: (d.dependsOn ?? []).filter((r) => refs.has(r)) }));
  return JSON.stringify({ ...doc, components: comps, dependencies: deps }, null, 2);
}

function writeAtomic(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

function main(argv: readonly string[]): number {
  const a = parseArgs(argv);
  if (typeof a === 'string') { process.stderr.write(`${a}\n\n${HELP}\n`); return 2; }
  if (a.help) { process.stdout.write(`${HELP}\n`); return 0; }
  const pkg = readJsonFile(join(a.root, 'package.json')) as { dependencies?: Record<string, unknown> } | undefined;
  const lock = readJsonFile(join(a.root, 'package-lock.json')) as { packages?: Record<string, { version?: unknown }> } | undefined;
  if (!pkg || !lock?.packages) { process.stderr.write('cannot read package.json or package-lock.json\n'); return 2; }
  const expected: Record<string, string> = {};
  for (const name of Object.keys(pkg.dependencies ?? {})) {
    const v = lock.packages[`node_modules/${name}`]?.version;
    expected[name] = typeof v === 'string' ? v : '(not in package-lock.json)';
  }
  let full: string;
  try {
    const out = npmSbom(a.root);
    full = out.slice(out.indexOf('{'), out.lastIndexOf('}') + 1);
  } catch (e) {
    const err = e as { stderr?: unknown; message?: unknown };
    process.stderr.write(`npm sbom failed: ${String(err.stderr ?? err.message)}\n`);
    return 2;
  }
  let runtime: string;
  try { runtime = runtimeOnly(full, lock.packages as Lock); } catch {
    process.stderr.write('npm sbom printed JSON that cannot be read\n');
    return 2;
  }
  const targets = [
    { file: a.out ?? join(a.root, 'sbom', 'palisade.cdx.json'), text: runtime, label: 'runtime' },
    { file: a.fullOut ?? join(a.root, 'sbom', 'palisade-full.cdx.json'), text: full, label: 'full' },
  ];
  let code = 0;
  for (const t of targets) {
    const { text } = t;
    const parsed = parseCycloneDx(text);
    if (!parsed.ok) { process.stderr.write(`${parsed.code}: ${parsed.message}\n`); return 2; }
    writeAtomic(t.file, text.slice(text.indexOf('{'), text.lastIndexOf('}') + 1) + '\n');
    const missing = missingFromSbom(parsed.components, expected);
    process.stdout.write(`wrote ${t.file} (${t.label}, CycloneDX ${parsed.specVersion}, ${parsed.components.length} components)\n`);
    for (const m of missing) process.stdout.write(`  MISSING runtime dependency: ${m}\n`);
    if (missing.length > 0) code = 1;
  }
  return code;
}

process.exitCode = main(process.argv.slice(2));
