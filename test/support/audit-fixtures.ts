/** Shared helpers for audit tests: temp data dirs, a capturing logger, line-level file edits. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditLogger } from '../../agent-gateway/audit/errors.ts';

export function tempDataDir(t: { after(fn: () => void | Promise<void>): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-audit-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface CapturingLogger extends AuditLogger {
  readonly warnings: { message: string; fields?: Record<string, unknown> }[];
}

export function capturingLogger(): CapturingLogger {
  const warnings: { message: string; fields?: Record<string, unknown> }[] = [];
  return {
    warnings,
    warn(message, fields) {
      warnings.push(fields === undefined ? { message } : { message, fields });
    },
  };
}

export function logPath(dataDir: string): string {
  return join(dataDir, 'audit', 'audit.jsonl');
}
export function checkpointsPath(dataDir: string): string {
  return join(dataDir, 'audit', 'checkpoints.jsonl');
}

/** The complete lines of a JSONL file (without newlines). */
export function readLines(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return text.split('\n').slice(0, -1);
}

export function writeLines(file: string, lines: readonly string[]): void {
  writeFileSync(file, lines.map((l) => `${l}\n`).join(''));
}
