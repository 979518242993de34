/**
 * Browser-test support: finds Debian's chromium (required when CI=true, else the caller
 * skips), launches it headless through playwright-core with background networking off, and
 * serves static pages from a local HTTP server on 127.0.0.1 (each server is its own origin).
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/** undefined when chromium can be used; else why the test must skip. Throws under CI. */
export function chromiumSkipReason(): string | undefined {
  if (existsSync(CHROMIUM_PATH)) return undefined;
  if (process.env['CI'] === 'true') throw new Error(`${CHROMIUM_PATH} is missing; .ci/run installs the Debian chromium package`);
  return `${CHROMIUM_PATH} not installed (apt-get install -y chromium); required in CI`;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, timeout: 60_000 });
}

export interface StaticSite {
  readonly origin: string;
  close(): Promise<void>;
}

/** Serves `pages` (path → html) from 127.0.0.1 on a random port; everything else is 404. */
export async function serveStatic(pages: Readonly<Record<string, string>>): Promise<StaticSite> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const html = pages[path];
    if (req.method !== 'GET' || html === undefined) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(html);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
