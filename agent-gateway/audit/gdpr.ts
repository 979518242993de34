/**
 * GDPR export and erase over the audit log. Erase crypto-shreds: it deletes the subject's
 * key, so the subject value and its `data.pii` become unreadable while every line, tag and
 * chain link stays intact and `verify` still passes.
 */
import { auditLogFile } from './files.ts';
import { completeLines, decryptEntry, type ReadSource } from './reader.ts';
import type { AuditEntry } from './payload.ts';
import type { SubjectKeyStore } from './subjects.ts';

async function* subjectEntries(source: ReadSource, hash: string, tolerant: boolean): AsyncGenerator<AuditEntry> {
  let position = 0;
  for await (const { text } of completeLines(auditLogFile(source.dataDir))) {
    position += 1;
    let entry: AuditEntry;
    try {
      entry = decryptEntry(text, source.keys, source.subjects, position);
    } catch (error) {
      if (tolerant) continue;
      throw error;
    }
    if (entry.subject_ref === hash) yield entry;
  }
}

/** Every audit entry about `subject`, decrypted (entries written before an erase are gone). */
export async function exportSubject(source: ReadSource, subjects: SubjectKeyStore, subject: string): Promise<AuditEntry[]> {
  const out: AuditEntry[] = [];
  for await (const e of subjectEntries({ ...source, subjects }, subjects.hash(subject), false)) {
    if (e.subject_erased !== true) out.push(e);
  }
  return out;
}

/** Destroys the subject's key; reports how many audit entries concerned the subject. */
export async function eraseSubject(source: ReadSource, subjects: SubjectKeyStore, subject: string): Promise<{ audit_entries: number }> {
  let n = 0;
  for await (const e of subjectEntries({ ...source, subjects }, subjects.hash(subject), true)) {
    if (e.subject_erased !== true) n += 1;
  }
  subjects.destroy(subject);
  return { audit_entries: n };
}
