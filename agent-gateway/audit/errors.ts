/**
 * Audit error codes (AUDIT_ERR_*). Messages are safe to show an admin: they name kids and
 * sequence numbers, never key material or decrypted content.
 */
import { defineErrors } from '../../sandbox/define-errors.ts';

export const auditErrors = defineErrors('AuditError', ['AUDIT_ERR_'], {
  AUDIT_ERR_BAD_KEY: { message: 'The audit key is not 64 hex characters.' },
  AUDIT_ERR_KEYFILE: { message: 'The audit key file is unreadable or malformed.' },
  AUDIT_ERR_WRONG_KEY: { message: 'The audit key does not decrypt this log.' },
  AUDIT_ERR_TAMPERED: { message: 'The audit log failed verification.' },
  AUDIT_ERR_EVENT_INVALID: { message: 'The audit event is not a valid security event.' },
  AUDIT_ERR_EVENT_TOO_LARGE: { message: 'The audit event is too large.' },
  AUDIT_ERR_WRITE_FAILED: { message: 'The audit line could not be written durably.' },
  AUDIT_ERR_CLOSED: { message: 'The audit log is closed or unusable.' },
  AUDIT_ERR_CORRUPT_TAIL: { message: 'The last complete audit line is malformed.' },
  AUDIT_ERR_UNREADABLE: { message: 'An audit line could not be read.' },
});

export const AUDIT_ERRORS = auditErrors.definitions;

export type AuditErrorCode = (typeof auditErrors.codes)[number];

/** An audit failure: the code's message, followed by a safe `detail` (kid, seq) when given. */
export class AuditError extends auditErrors.Error {
  constructor(code: AuditErrorCode, detail?: string, options?: ErrorOptions) {
    super(code, detail === undefined ? auditErrors.message(code) : `${auditErrors.message(code)} ${detail}`, options);
  }
}

export interface AuditLogger {
  warn(message: string, fields?: Record<string, unknown>): void;
  /** optional; the audit module itself only warns (failures surface as rejections / onFailure) */
  error?(message: string, fields?: Record<string, unknown>): void;
}
