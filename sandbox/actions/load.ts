/**
 * Reads tool folders: each subfolder `<dir>/<tool>/` must hold `manifest.json` and `handler.js`.
 * This only reads (size-capped, regular files only) and parses JSON; schema validation of the
 * manifest is the gateway registry's job. Any problem throws an Error naming the file.
 */
import { closeSync, fstatSync, lstatSync, openSync, readdirSync, readSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface RawTool {
  readonly dir: string;
  readonly manifest: unknown;
  readonly handler: string;
}

export const BUILTIN_ACTIONS_DIR = path.dirname(fileURLToPath(import.meta.url));
export const MAX_MANIFEST_BYTES = 64 * 1024;
export const MAX_HANDLER_BYTES = 256 * 1024;

/** Reads a regular file of at most `max` bytes as UTF-8 (fatal on invalid UTF-8). */
function readCapped(file: string, max: number): string {
  let stat;
  try {
    stat = lstatSync(file);
  } catch (error) {
    throw new Error(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  if (!stat.isFile()) throw new Error(`${file} is not a regular file`);
  const fd = openSync(file, 'r');
  try {
    if (fstatSync(fd).size > max) throw new Error(`${file} is larger than ${max} bytes`);
    const buffer = Buffer.alloc(max + 1);
    let length = 0;
    for (let n = -1; n !== 0 && length <= max; length += n) {
      n = readSync(fd, buffer, length, buffer.length - length, null);
    }
    if (length > max) throw new Error(`${file} is larger than ${max} bytes`);
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(buffer.subarray(0, length));
    } catch {
      throw new Error(`${file} is not valid UTF-8`);
    }
  } finally {
    closeSync(fd);
  }
}

/** Reads every tool folder under `dir` (sorted by name; dot-folders and plain files skipped). */
export function readToolDir(dir: string): RawTool[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    throw new Error(`cannot read tools directory ${dir}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  const tools: RawTool[] = [];
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (entry.name.startsWith('.') || !entry.isDirectory()) continue;
    const toolDir = path.join(dir, entry.name);
    const manifestFile = path.join(toolDir, 'manifest.json');
    const manifestText = readCapped(manifestFile, MAX_MANIFEST_BYTES);
    let manifest: unknown;
    try {
      manifest = JSON.parse(manifestText);
    } catch (error) {
      throw new Error(`${manifestFile} is not valid JSON: ${(error as Error).message.slice(0, 200)}`);
    }
    const handler = readCapped(path.join(toolDir, 'handler.js'), MAX_HANDLER_BYTES);
    tools.push({ dir: toolDir, manifest, handler });
  }
  return tools;
}
