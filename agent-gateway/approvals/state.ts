/**
 * Approval item state machine:
 *   pending --approve--> approved --executed--> executed
 *                                 --failed----> failed
 *   pending --reject---> rejected
 *   pending --expire---> expired
 * Every other (state, action) pair is a conflict (409).
 */
export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'expired' | 'executed' | 'failed';
export type ApprovalAction = 'approve' | 'reject' | 'expire' | 'executed' | 'failed';

export const APPROVAL_STATUSES: readonly ApprovalStatus[] = ['pending', 'approved', 'rejected', 'expired', 'executed', 'failed'];

export type TransitionResult =
  | { ok: true; status: ApprovalStatus }
  | { ok: false; code: 'GW_ERR_CONFLICT'; message: string };

export function nextStatus(from: ApprovalStatus, action: ApprovalAction): TransitionResult {
  const to = target(from, action);
  return to === undefined
    ? { ok: false, code: 'GW_ERR_CONFLICT', message: `cannot ${action} an approval that is ${from}` }
    : { ok: true, status: to };
}

function target(from: ApprovalStatus, action: ApprovalAction): ApprovalStatus | undefined {
  switch (from) {
    case 'pending':
      switch (action) {
        case 'approve': return 'approved';
        case 'reject': return 'rejected';
        case 'expire': return 'expired';
        case 'executed':
        case 'failed': return undefined;
        default: return never(action);
      }
    case 'approved':
      return action === 'executed' ? 'executed' : action === 'failed' ? 'failed' : undefined;
    case 'rejected':
    case 'expired':
    case 'executed':
    case 'failed':
      return undefined;
    default:
      return never(from);
  }
}

export function isTerminal(s: ApprovalStatus): boolean {
  switch (s) {
    case 'pending':
    case 'approved': return false;
    case 'rejected':
    case 'expired':
    case 'executed':
    case 'failed': return true;
    default: return never(s);
  }
}

export function isApprovalStatus(v: unknown): v is ApprovalStatus {
  return typeof v === 'string' && (APPROVAL_STATUSES as readonly string[]).includes(v);
}

function never(x: never): never {
  throw new Error(`unexpected value ${String(x)}`);
}
