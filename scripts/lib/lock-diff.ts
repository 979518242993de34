// Drift check: compares the requirements regenerated from package-lock.json with the committed file.
import { serialise, type RequirementsLock } from './requirements.ts';

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (v: unknown): string => (v === undefined ? '(absent)' : JSON.stringify(v));

function diffFields(where: string, want: Json, got: Json, out: string[]): void {
  for (const k of new Set([...Object.keys(want), ...Object.keys(got)])) {
    const a = want[k];
    const b = got[k];
    if (isObj(a) && isObj(b)) diffFields(`${where}.${k}`, a, b, out);
    else if (JSON.stringify(a) !== JSON.stringify(b)) out.push(`${where}.${k}: expected ${show(a)}, found ${show(b)}`);
  }
}

/** Lists every difference; an empty list means the committed file is exactly what generate writes. */
export function diffRequirements(expected: RequirementsLock, committedText: string): string[] {
  let committed: unknown;
  try { committed = JSON.parse(committedText); } catch { return ['requirements.lock.json is not valid JSON']; }
  if (!isObj(committed)) return ['requirements.lock.json is not a JSON object'];
  const out: string[] = [];
  const { packages: wantPkgs, ...wantTop } = expected;
  const { packages: gotPkgsRaw, ...gotTop } = committed;
  diffFields('lock', wantTop as unknown as Json, gotTop, out);
  const gotPkgs = Array.isArray(gotPkgsRaw) ? gotPkgsRaw.filter(isObj) : [];
  if (!Array.isArray(gotPkgsRaw)) out.push('lock.packages: missing or not an array');
  const gotByPath = new Map<string, Json>();
  for (const p of gotPkgs) if (typeof p['path'] === 'string') gotByPath.set(p['path'], p);
  const wantByPath = new Map(wantPkgs.map((p) => [p.path, p] as const));
  for (const [path, want] of wantByPath) {
    const got = gotByPath.get(path);
    if (!got) out.push(`${path}: in package-lock.json but missing from requirements.lock.json`);
    else diffFields(path, want as unknown as Json, got, out);
  }
  for (const path of gotByPath.keys()) {
    if (!wantByPath.has(path)) out.push(`${path}: in requirements.lock.json but not in package-lock.json`);
  }
  // Same content but different formatting or order is drift too: the file must be byte-identical.
  if (out.length === 0 && serialise(expected) !== committedText) out.push('requirements.lock.json formatting or order differs from generated output');
  return out;
}
