/**
 * GET /console and /console/<asset>: the operator console, a static single-page app. Every
 * file is read once when the router is built (from agent-gateway/console/ and three ESM files
 * of preact and htm in node_modules) and served from memory by exact path, so no request path
 * ever reaches the file system. Each answer carries the console's strict CSP, which replaces
 * the global helmet header. The page holds no secret: its API calls use the existing admin
 * routes with a bearer token kept in page memory.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Router } from 'express';

export const CONSOLE_CSP = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'",
  "img-src 'self' data:", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
].join('; ');

export const CONSOLE_DIR = fileURLToPath(new URL('../../console/', import.meta.url));

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

export interface Asset { readonly type: string; readonly body: Buffer }

/**
 * The vendor modules, rewritten only where needed: preact/hooks imports the bare specifier
 * "preact", which a browser cannot resolve without an import map (an inline one would need a
 * CSP hash), so it is pointed at the served copy. Source-map comments are dropped (the maps are
 * not served). A changed package layout fails loudly at start instead of serving a broken page.
 */
export function vendorAssets(): Map<string, Asset> {
  const req = createRequire(import.meta.url);
  // the package folder as node resolves it (the packages' exports maps hide package.json)
  const pkgDir = (name: string): string => {
    const dir = (req.resolve.paths(name) ?? []).map((p) => join(p, name)).find((d) => existsSync(join(d, 'package.json')));
    if (dir === undefined) throw new Error(`console: the ${name} package is not installed`);
    return dir;
  };
  const files: [string, string, ((s: string) => string)?][] = [
    ['preact.mjs', join(pkgDir('preact'), 'dist', 'preact.mjs')],
    ['hooks.mjs', join(pkgDir('preact'), 'hooks', 'dist', 'hooks.mjs'), (s) => {
      const n = s.split('from"preact"').length - 1;
      if (n !== 1) throw new Error(`console: expected one import of "preact" in preact/hooks, found ${n}`);
      return s.replace('from"preact"', 'from"./preact.mjs"');
    }],
    ['htm.mjs', join(pkgDir('htm'), 'dist', 'htm.mjs')],
  ];
  const out = new Map<string, Asset>();
  for (const [name, file, rewrite] of files) {
    let text = readFileSync(file, 'utf8').replace(/\n?\/\/# sourceMappingURL=\S+\s*$/, '\n');
    if (rewrite) text = rewrite(text);
    const specifiers = [...text.matchAll(/\b(?:from|import)\s*\(?\s*["'`]([^"'`]*)["'`]/g)].map((m) => m[1]);
    if (specifiers.some((x) => x !== './preact.mjs')) {
      throw new Error(`console: vendor file ${name} imports ${specifiers.join(', ')}; only ./preact.mjs is served`);
    }
    out.set(`/console/vendor/${name}`, { type: TYPES['.mjs'] as string, body: Buffer.from(text, 'utf8') });
  }
  return out;
}

function walk(dir: string): string[] {
  return readdirSync(dir).sort().flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? walk(full) : [full];
  });
}

/** Every console file by its URL path; index.html is the page at /console. */
export function consoleAssets(dir: string = CONSOLE_DIR): Map<string, Asset> {
  const out = new Map<string, Asset>();
  for (const file of walk(dir)) {
    const type = TYPES[extname(file)];
    if (type === undefined) continue;
    const url = `/console/${relative(dir, file).split(sep).join('/')}`;
    out.set(url, { type, body: readFileSync(file) });
  }
  const index = out.get('/console/index.html');
  if (index === undefined) throw new Error(`console: ${dir}index.html is missing`);
  out.set('/console', index);
  out.set('/console/', index);
  for (const [k, v] of vendorAssets()) out.set(k, v);
  return out;
}

export function consoleRoutes(assets: ReadonlyMap<string, Asset> = consoleAssets()): Router {
  const r = Router({ strict: true, caseSensitive: true });
  r.get(/^\/console(\/.*)?$/, (req, res, next) => {
    const asset = assets.get(req.path);
    if (asset === undefined) {
      next();
      return;
    }
    res.setHeader('Content-Security-Policy', CONSOLE_CSP);
    res.setHeader('Cache-Control', 'no-cache');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('X-Frame-Options', 'DENY'); // for browsers without CSP frame-ancestors
    res.setHeader('Content-Type', asset.type);
    res.status(200).end(req.method === 'HEAD' ? undefined : asset.body);
  });
  return r;
}
