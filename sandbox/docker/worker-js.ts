/**
 * The worker's TypeScript sources as the JavaScript the image holds (issue 15). Node strips
 * types itself when it loads a `.ts` file, but its stripper (amaro, a WebAssembly build of swc)
 * is loaded at every worker start: 108-131 ms of wall and 118-140 ms of CPU for the first strip
 * on this machine kind, a third of a container's boot, and under the worker's 0.5-CPU quota twice
 * that in wall time, on every recycled container. Here the types are stripped once, when the
 * image is built, with the same stripper (`module.stripTypeScriptTypes`, mode "strip": the
 * erasable syntax only, exactly what Node accepts in a .ts file, positions kept), and each
 * relative import of one of our `.ts` files is renamed to its `.js` file. The image's content
 * hash covers the output, so a changed source still gives a new tag.
 */
import { stripTypeScriptTypes } from 'node:module';

const RELATIVE_SPECIFIER = /(\bfrom\s+|^\s*import\s+|\bimport\(\s*)'(\.{1,2}\/[^']+)\.ts'/gm;

/**
 * The function is marked experimental in Node 24 and says so on stderr at its first call; the
 * pinned Node (npm package "node") is the one that also strips every .ts file the gateway runs,
 * so that one warning is dropped here, and only that one.
 */
function quietly<T>(fn: () => T): T {
  const emit = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    if (String(warning instanceof Error ? warning.message : warning).includes('stripTypeScriptTypes')) return;
    (emit as (w: string | Error, ...r: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    return fn();
  } finally {
    process.emitWarning = emit;
  }
}

/** `sandbox/x.ts` → `sandbox/x.js` */
export function jsName(rel: string): string {
  if (!rel.endsWith('.ts')) throw new Error(`not a TypeScript source: ${rel}`);
  return `${rel.slice(0, -3)}.js`;
}

/** One source's JavaScript: types stripped, relative `.ts` specifiers of imports and re-exports renamed to `.js`. */
export function workerJs(source: string): string {
  const stripped = quietly(() => stripTypeScriptTypes(source, { mode: 'strip' }));
  return stripped.replace(RELATIVE_SPECIFIER, (_all, lead: string, base: string) => `${lead}'${base}.js'`);
}
