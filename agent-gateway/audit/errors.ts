/**
 * Audit error codes (AUDIT_ERR_*). Messages are safe to show an admin: they name kids and
 * sequence numbers, never key material or decrypted content.
 */
export const AUDIT_ERRORS = {
  AUDIT_ERR_BAD_KEY: 'The audit key is not 64 hex characters.',
  AUDIT_ERR_KEYFILE: 'The audit key file is unreadable or malformed.',
  AUDIT_ERR_WRONG_KEY: 'The audit key does not decrypt this log.',
  AUDIT_ERR_TAMPERED: 'The audit log failed verification.',
  AUDIT_ERR_EVENT_INVALID: 'The audit event is not a valid security event.',
  AUDIT_ERR_EVENT_TOO_LARGE: 'The audit event is too large.',
  AUDIT_ERR_WRITE_FAILED: 'The audit line could not be written durably.',
  AUDIT_ERR_CLOSED: 'The audit log is closed or unusable.',
  AUDIT_ERR_CORRUPT_TAIL: 'The last complete audit line is malformed.',
  AUDIT_ERR_UNREADABLE: 'An audit line could not be read.',
} as const;

export type AuditErrorCode = keyof typeof AUDIT_ERRORS;

export class AuditError extends Error {
  readonly code: AuditErrorCode;
  constructor(code: AuditErrorCode, detail?: string, options?: ErrorOptions) {
    super(detail === undefined ? AUDIT_ERRORS[code] : `${AUDIT_ERRORS[code]} ${detail}`, options);
    this.name = 'AuditError';
    this.code = code;
  }
}

export interface AuditLogger {
  warn(message: string, fields?: Record<string, unknown>): void;
  /** optional; the audit module itself only warns (failures surface as rejections / onFailure) */
  error?(message: string, fields?: Record<string, unknown>): void;
}
