/** Paths of the audit files under the data dir, and a no-follow opener for them. */
import { constants, fchmodSync, fstatSync, openSync, closeSync } from 'node:fs';
import { join } from 'node:path';

export function auditDir(dataDir: string): string {
  return join(dataDir, 'audit');
}
export function auditLogFile(dataDir: string): string {
  return join(auditDir(dataDir), 'audit.jsonl');
}
export function checkpointFile(dataDir: string): string {
  return join(auditDir(dataDir), 'checkpoints.jsonl');
}

/** Opens (creating 0600) a regular file read/write+append without following symlinks. */
export function openAppendFd(path: string): number {
  const { O_RDWR, O_APPEND, O_CREAT, O_NOFOLLOW } = constants;
  const fd = openSync(path, O_RDWR | O_APPEND | O_CREAT | O_NOFOLLOW, 0o600);
  try {
    if (!fstatSync(fd).isFile()) throw new Error(`${path} is not a regular file`);
    fchmodSync(fd, 0o600);
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  return fd;
}

export function shipperCursorFile(dataDir: string): string {
  return join(auditDir(dataDir), 'shipper.cursor');
}
