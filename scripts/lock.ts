// requirements.lock.json tooling: generate | check | verify. Exit codes: 0 ok, 1 verification failure, 2 usage/IO error.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { generateFromRoot, readJsonFile, serialise } from './lib/requirements.ts';
import { diffRequirements } from './lib/lock-diff.ts';
import { verifyInstalled } from './lib/verify.ts';
import { defaultCacacheDir } from './lib/npm-cache.ts';

const HELP = `Usage: node scripts/lock.ts <command> [options]

Commands:
  generate   write requirements.lock.json from package-lock.json (deterministic)
  check      regenerate in memory and list differences from requirements.lock.json (drift)
  verify     check node_modules against requirements.lock.json: every locked package present with
             its exact name and version, nothing unlocked, tarball integrity re-hashed from the npm
             cache, every installed file byte-equal to that tarball (files added by an install
             script only for packages allowed in package.json "allowScripts"), and no install
             script on a package not listed in "allowScripts"

Options:
  --root <dir>    project root (default: the repository containing this script)
  --cache <dir>   npm cacache directory for verify (default: <npm config get cache>/_cacache)
  --strict        verify: a package whose tarball is not in the npm cache is a failure
  --shallow       verify: skip the file-by-file comparison with the cached tarballs
  --help          show this help

Exit codes: 0 ok · 1 drift or verification failure · 2 usage or I/O error`;

type Parsed = { cmd: string; root: string; cache?: string; strict: boolean; shallow: boolean; help: boolean };

function parseArgs(argv: readonly string[]): Parsed | string {
  const out: Parsed = { cmd: '', root: resolve(dirname(import.meta.dirname)), strict: false, shallow: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') out.help = true;
    else if (a === '--strict') out.strict = true;
    else if (a === '--shallow') out.shallow = true;
    else if (a === '--root' || a === '--cache') {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) return `${a} needs a value`;
      if (a === '--root') out.root = resolve(v); else out.cache = resolve(v);
    } else if (a !== undefined && !a.startsWith('-') && out.cmd === '') out.cmd = a;
    else return `unknown argument: ${String(a)}`;
  }
  return out;
}

function nodeBinaryProblem(root: string, pinned: unknown): string | undefined {
  const bin = join(root, 'node_modules', 'node', 'bin', 'node');
  if (typeof pinned !== 'string' || !existsSync(bin)) return undefined;
  try {
    const v = execFileSync(bin, ['--version'], { encoding: 'utf8', timeout: 30_000 }).trim();
    return v === `v${pinned}` ? undefined : `node binary mismatch: node_modules/node/bin/node is ${v}, pinned v${pinned}`;
  } catch { return 'node binary mismatch: node_modules/node/bin/node does not run'; }
}

function main(argv: readonly string[]): number {
  const args = parseArgs(argv);
  if (typeof args === 'string') { process.stderr.write(`${args}\n\n${HELP}\n`); return 2; }
  if (args.help) { process.stdout.write(`${HELP}\n`); return 0; }
  const reqFile = join(args.root, 'requirements.lock.json');
  switch (args.cmd) {
    case 'generate': {
      const r = generateFromRoot(args.root);
      if (!r.ok) { process.stderr.write(`${r.code}: ${r.message}\n`); return 2; }
      const tmp = `${reqFile}.tmp-${process.pid}`;
      writeFileSync(tmp, serialise(r.value));
      renameSync(tmp, reqFile);
      process.stdout.write(`wrote ${reqFile} (${r.value.packages.length} packages)\n`);
      return 0;
    }
    case 'check': {
      const r = generateFromRoot(args.root);
      if (!r.ok) { process.stderr.write(`${r.code}: ${r.message}\n`); return 2; }
      let text: string;
      try { text = readFileSync(reqFile, 'utf8'); } catch { process.stderr.write(`cannot read ${reqFile}\n`); return 2; }
      const diffs = diffRequirements(r.value, text);
      if (diffs.length === 0) { process.stdout.write('requirements.lock.json matches package-lock.json\n'); return 0; }
      process.stdout.write(`requirements.lock.json drifted from package-lock.json (run npm run lock:gen):\n${diffs.map((d) => `  ${d}`).join('\n')}\n`);
      return 1;
    }
    case 'verify': {
      const requirements = readJsonFile(reqFile);
      const pkg = readJsonFile(join(args.root, 'package.json'));
      if (requirements === undefined || typeof pkg !== 'object' || pkg === null) {
        process.stderr.write('cannot read requirements.lock.json or package.json\n');
        return 2;
      }
      const allowRaw = (pkg as Record<string, unknown>)['allowScripts'];
      const allowScripts = typeof allowRaw === 'object' && allowRaw !== null ? (allowRaw as Record<string, unknown>) : {};
      const rep = verifyInstalled({ root: args.root, requirements, allowScripts, cacacheDir: args.cache ?? defaultCacacheDir(), strict: args.strict, deep: !args.shallow });
      const pinned = (requirements as { node?: { pinned?: unknown } }).node?.pinned;
      const nodeProblem = nodeBinaryProblem(args.root, pinned);
      const failures = nodeProblem ? [...rep.failures, nodeProblem] : [...rep.failures];
      process.stdout.write(`checked ${rep.checked} packages: ${rep.verified} integrity-verified from the npm cache, ${rep.unverifiable.length} unverifiable (tarball not cached), ${rep.skipped.length} optional not installed; ${rep.filesCompared} files compared with their tarballs\n`);
      for (const n of rep.notes) process.stdout.write(`  note: ${n}\n`);
      for (const u of rep.unverifiable) process.stdout.write(`  unverifiable: ${u}\n`);
      if (failures.length === 0) { process.stdout.write('verify: ok\n'); return 0; }
      for (const f of failures) process.stdout.write(`  FAIL ${f}\n`);
      process.stdout.write(`verify: ${failures.length} failure(s)\n`);
      return 1;
    }
    case '': process.stderr.write(`missing command\n\n${HELP}\n`); return 2;
    default: process.stderr.write(`unknown command: ${args.cmd}\n\n${HELP}\n`); return 2;
  }
}

process.exitCode = main(process.argv.slice(2));
