/**
 * Open-time recovery of the writer's state: opens the log and checkpoint files (0600, no
 * symlinks), moves a torn tail aside, and recovers seq and prev from the last complete line
 * and the last checkpoint seq. Complete trailing lines that are not audit lines (garbage
 * appended) are moved aside too and reported (`garbageTail`): the chain continues from the
 * last good line, never restarts. Beyond GARBAGE_MAX_* the open stops (AUDIT_ERR_CORRUPT_TAIL)
 * with the repair steps in the message.
 */
import { closeSync } from 'node:fs';
import { parseCheckpoint } from './checkpoint.ts';
import { AuditError, type AuditLogger } from './errors.ts';
import { auditDir, auditLogFile, checkpointFile, openAppendFd } from './files.ts';
import { ensurePrivateDir, fsyncDir } from './fsutil.ts';
import { GENESIS_PREV, parseLine, sha256Hex } from './line.ts';
import { GARBAGE_MAX_LINES, peelGarbageTail, recoverTornTail, scanTail, type GarbageTail, type TornTail } from './tail.ts';

export interface RecoveredState {
  readonly fd: number;
  readonly cpFd: number;
  readonly seq: number;
  readonly prev: string;
  /** bytes of complete lines */
  readonly size: number;
  readonly tornTail: TornTail | null;
  readonly garbageTail: GarbageTail | null;
  readonly cpSeq: number;
}

function lastCheckpointSeq(fd: number, path: string, logger: AuditLogger): number {
  const scan = scanTail(fd);
  const torn = recoverTornTail(fd, path, scan);
  if (torn !== null) logger.warn('audit checkpoint file had a torn final line; moved aside', { ...torn });
  return scan.lastLine === null ? 0 : (parseCheckpoint(scan.lastLine)?.seq ?? 0);
}

export function recoverLogState(dataDir: string, logger: AuditLogger): RecoveredState {
  ensurePrivateDir(dataDir);
  ensurePrivateDir(auditDir(dataDir));
  const path = auditLogFile(dataDir);
  const fd = openAppendFd(path);
  const cpFd = openAppendFd(checkpointFile(dataDir));
  fsyncDir(auditDir(dataDir)); // make newly created files' directory entries durable
  fsyncDir(dataDir);
  let seq = 0;
  let prev = GENESIS_PREV;
  let size = 0;
  let tornTail: TornTail | null;
  let garbageTail: GarbageTail | null = null;
  let cpSeq: number;
  try {
    const scan = scanTail(fd);
    tornTail = recoverTornTail(fd, path, scan);
    if (tornTail !== null) logger.warn('audit log had a torn final line (crash mid-write); moved aside, appends continue', { ...tornTail });
    const peeled = peelGarbageTail(fd, path, scan.goodSize, (text) => parseLine(text).ok, () => new AuditError('AUDIT_ERR_CORRUPT_TAIL',
      `More than the last ${GARBAGE_MAX_LINES} lines of ${path} are not audit lines. Stop here: copy the file aside for forensics, `
      + 'run "palisade audit verify" to find the first bad seq, then move the file out of the audit directory to start the gateway '
      + '(the missing range stays recorded against the sqlite head).'));
    garbageTail = peeled.garbage;
    if (garbageTail !== null) logger.warn('audit log ended with lines that are not audit lines; moved aside, the chain continues from the last good line', { ...garbageTail });
    if (peeled.lastLine !== null) {
      const parsed = parseLine(peeled.lastLine);
      if (!parsed.ok) throw new AuditError('AUDIT_ERR_CORRUPT_TAIL', parsed.reason);
      seq = parsed.line.seq;
      prev = sha256Hex(peeled.lastLine);
    }
    size = peeled.size;
    cpSeq = lastCheckpointSeq(cpFd, checkpointFile(dataDir), logger);
    if (cpSeq > seq) logger.warn('audit log ends before its last checkpoint: it was truncated', { last_seq: seq, checkpoint_seq: cpSeq });
  } catch (error) {
    closeSync(fd);
    closeSync(cpFd);
    throw error;
  }
  return { fd, cpFd, seq, prev, size, tornTail, garbageTail, cpSeq };
}
