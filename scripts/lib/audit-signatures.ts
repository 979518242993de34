// Runs `npm audit signatures --json` and classifies the result. Exit 0: verified, or the registry
// did not answer / does not publish signing keys (reported, not a failure). Exit 1: npm reported an
// invalid signature or attestation, or a missing signature from a registry that publishes keys.
// Exit 2: output npm gave that this script cannot classify (never silently passed).
import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';

export type AuditStatus = 'verified' | 'invalid' | 'missing' | 'unavailable' | 'unsupported' | 'error';
export interface AuditClassification { readonly status: AuditStatus; readonly exitCode: 0 | 1 | 2; readonly message: string; readonly packages: readonly string[] }

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

const NETWORK_CODE = /^(ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ESOCKETTIMEDOUT|EHOSTUNREACH|ENETUNREACH|EPIPE|EPROXY|ECONNABORTED|UNABLE_TO_GET_ISSUER_CERT_LOCALLY|SELF_SIGNED_CERT_IN_CHAIN|CERT_HAS_EXPIRED|FETCH_ERROR|TUF_[A-Z_]+|E5\d\d|E429)$/;
const UNSUPPORTED_TEXT = /found no dependencies to audit that were installed from a supported registry/i;

function pkgList(v: unknown): string[] {
  if (!Array.isArray(v)) return [];
  return v.filter(isObj).map((p) => `${String(p['name'])}@${String(p['version'])}`).sort();
}

function parseJson(text: string): unknown {
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  if (start < 0 || end < start) return undefined;
  try { return JSON.parse(text.slice(start, end + 1)); } catch { return undefined; }
}

/** Pure: classifies the stdout/stderr/exit status of `npm audit signatures --json`. exitCode null = killed (timeout). */
export function classify(stdout: string, stderr: string, exitCode: number | null): AuditClassification {
  const doc = parseJson(stdout);
  if (isObj(doc) && (Array.isArray(doc['invalid']) || Array.isArray(doc['missing']))) {
    const invalid = pkgList(doc['invalid']);
    const missing = pkgList(doc['missing']);
    if (invalid.length > 0) return { status: 'invalid', exitCode: 1, message: `INVALID registry signature or attestation on ${invalid.length} package(s): possible tampering`, packages: invalid };
    if (missing.length > 0) return { status: 'missing', exitCode: 1, message: `${missing.length} package(s) lack a registry signature although the registry publishes signing keys`, packages: missing };
    if (exitCode === 0) return { status: 'verified', exitCode: 0, message: 'all registry signatures verified', packages: [] };
    return { status: 'error', exitCode: 2, message: `npm exited ${String(exitCode)} without listing invalid or missing signatures`, packages: [] };
  }
  const err = isObj(doc) && isObj(doc['error']) ? doc['error'] : undefined;
  const code = typeof err?.['code'] === 'string' ? err['code'] : (/npm error code (\S+)/.exec(stderr)?.[1] ?? '');
  const summary = typeof err?.['summary'] === 'string' ? err['summary'] : '';
  const text = `${summary}\n${stderr}`;
  if (exitCode === null) return { status: 'unavailable', exitCode: 0, message: 'registry did not answer in time (npm audit signatures timed out); signatures NOT checked', packages: [] };
  if (UNSUPPORTED_TEXT.test(text) || code === 'E404' || code === 'E400') {
    return { status: 'unsupported', exitCode: 0, message: 'the registry does not publish signing keys; signatures NOT checked', packages: [] };
  }
  if (NETWORK_CODE.test(code) || /npm error network/.test(stderr)) {
    return { status: 'unavailable', exitCode: 0, message: `registry or signing-key service unreachable (${code || 'network error'}); signatures NOT checked`, packages: [] };
  }
  // Without --json output to go on, fall back to npm's human-readable wording.
  if (/has an? .{0,20}invalid.{0,20} (registry signature|attestation)|have .{0,20}invalid.{0,20} (registry signatures|attestations)/i.test(stdout)) {
    return { status: 'invalid', exitCode: 1, message: 'INVALID registry signature or attestation reported by npm: possible tampering', packages: [] };
  }
  return { status: 'error', exitCode: 2, message: `could not classify npm audit signatures output (exit ${String(exitCode)}${code ? `, ${code}` : ''})`, packages: [] };
}

function main(): number {
  const argv = process.argv.slice(2);
  if (argv.includes('--help')) {
    process.stdout.write('Usage: scripts/audit-signatures.sh [--retries N]\nRuns `npm audit signatures` (network fetch retries: N, default 0, so an offline machine answers at once).\nExit 0: verified, or registry unreachable/unsupported (reported). 1: invalid or missing signatures. 2: usage or unclassifiable npm output.\n');
    return 0;
  }
  const ri = argv.indexOf('--retries');
  const retries = ri >= 0 ? Number(argv[ri + 1]) : 0;
  if (!Number.isInteger(retries) || retries < 0 || retries > 10 || argv.length !== (ri >= 0 ? 2 : 0)) { process.stderr.write('usage: scripts/audit-signatures.sh [--retries N] (N: 0-10)\n'); return 2; }
  const root = resolve(dirname(import.meta.dirname), '..');
  const r = spawnSync('npm', ['audit', 'signatures', '--json', `--fetch-retries=${retries}`], { cwd: root, encoding: 'utf8', timeout: 180_000, maxBuffer: 32 * 1024 * 1024 });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') { process.stderr.write('npm not found on PATH\n'); return 2; }
  const c = classify(r.stdout ?? '', r.stderr ?? '', r.status);
  process.stdout.write(`npm audit signatures: ${c.status.toUpperCase()} — ${c.message}\n`);
  for (const p of c.packages) process.stdout.write(`  ${p}\n`);
  return c.exitCode;
}

if (import.meta.main) process.exitCode = main();
