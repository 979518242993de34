/**
 * The `audit.damaged` alert for a failed verify or an incident found at open. Fields come
 * from the verifier's own result (seqs, reason codes, file names it chose), never log text.
 */
import type { Alert } from '../alerts/types.ts';
import type { AuditIncident } from './head.ts';
import type { VerifyResult } from './verify.ts';

export const REPAIR_HINT = 'run "palisade audit verify" for the details, keep the moved-aside files for forensics, then "palisade audit acknowledge --note <why>"';

export function damageAlertFromVerify(r: VerifyResult): Alert {
  return {
    type: 'audit.damaged', severity: 'critical',
    message: `audit log verification failed: ${r.reason ?? 'unknown'}${r.first_bad_seq === undefined ? '' : ` at seq ${r.first_bad_seq}`}; ${REPAIR_HINT}`,
    details: {
      reason: r.reason ?? 'unknown',
      ...(r.first_bad_seq === undefined ? {} : { first_bad_seq: r.first_bad_seq }),
      ...(r.missing === undefined ? {} : { missing_from: r.missing.from, missing_to: r.missing.to }),
    },
  };
}

export function damageAlertFromIncident(i: AuditIncident): Alert {
  return {
    type: 'audit.damaged', severity: 'critical',
    message: `audit log damage found at start: ${i.reason} (seq ${i.from_seq}${i.to_seq === i.from_seq ? '' : `..${i.to_seq}`}); ${REPAIR_HINT}`,
    details: { reason: i.reason, incident: i.id, from_seq: i.from_seq, to_seq: i.to_seq },
  };
}
