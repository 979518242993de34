/** Test helpers: tool folders written to a temp dir and read back as RawTool values. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RawTool } from '../../../agent-gateway/tools/registry.ts';

export function echoManifest(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'echo',
    description: 'Returns the text it was given.',
    input_schema: {
      type: 'object',
      additionalProperties: false,
      required: ['text'],
      properties: { text: { type: 'string', maxLength: 10000 } },
    },
    output_schema: {
      type: 'object',
      additionalProperties: false,
      required: ['text'],
      properties: { text: { type: 'string' } },
    },
    risk: 'low',
    requires_approval: false,
    ...overrides,
  };
}

export function makeTempDir(t: { after(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'palisade-tools-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Writes `<root>/<folder>/{manifest.json,handler.js}`; omit handler to leave it out. */
export function writeToolDir(root: string, folder: string, manifest: unknown, handler?: string): string {
  const dir = path.join(root, folder);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
  if (handler !== undefined) fs.writeFileSync(path.join(dir, 'handler.js'), handler);
  return dir;
}

/** Reads a tool folder the way the loader hands it over (missing handler → ''). */
export function readTool(dir: string): RawTool {
  const manifest: unknown = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
  const handlerPath = path.join(dir, 'handler.js');
  const handler = fs.existsSync(handlerPath) ? fs.readFileSync(handlerPath, 'utf8') : '';
  return { dir, manifest, handler };
}
