// Parses npm's CycloneDX output (untrusted text) and checks it covers the runtime dependencies.
export interface SbomComponent { readonly name: string; readonly version: string; readonly sha512?: string }
export type SbomParse = { ok: true; components: SbomComponent[]; specVersion: string } | { ok: false; code: string; message: string };

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** npm may print notices around the JSON on some setups: parse from the first '{' to the last '}'. */
export function parseCycloneDx(text: string): SbomParse {
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  if (start < 0 || end < start) return { ok: false, code: 'SBOM_ERR_PARSE', message: 'no JSON object in npm sbom output' };
  let doc: unknown;
  try { doc = JSON.parse(text.slice(start, end + 1)); } catch { return { ok: false, code: 'SBOM_ERR_PARSE', message: 'npm sbom output is not valid JSON' }; }
  if (!isObj(doc) || doc['bomFormat'] !== 'CycloneDX' || typeof doc['specVersion'] !== 'string' || !Array.isArray(doc['components'])) {
    return { ok: false, code: 'SBOM_ERR_SHAPE', message: 'not a CycloneDX document with components' };
  }
  const components: SbomComponent[] = [];
  for (const c of doc['components']) {
    if (!isObj(c) || typeof c['name'] !== 'string' || typeof c['version'] !== 'string') continue;
    const hashes = Array.isArray(c['hashes']) ? c['hashes'].filter(isObj) : [];
    const h = hashes.find((x) => x['alg'] === 'SHA-512' && typeof x['content'] === 'string');
    components.push({ name: c['name'], version: c['version'], ...(h ? { sha512: String(h['content']) } : {}) });
  }
  return { ok: true, components, specVersion: doc['specVersion'] };
}

/** Returns "name@version" for each expected dependency that no component matches exactly. */
export function missingFromSbom(components: readonly SbomComponent[], expected: Readonly<Record<string, string>>): string[] {
  const have = new Set(components.map((c) => `${c.name}@${c.version}`));
  return Object.entries(expected).filter(([n, v]) => !have.has(`${n}@${v}`)).map(([n, v]) => `${n}@${v}`).sort();
}
