/**
 * GET /privacy/export?subject= and DELETE /privacy/erase?subject= for an admin or the subject
 * themself (a user token whose username is the subject; anyone else → 403). Export is one
 * JSON document with every store that holds the subject: consent records, chat sessions,
 * approvals and tool calls they requested, and their audit entries decrypted. Erase deletes
 * the rows in one transaction, then crypto-shreds the subject's audit key: audit lines keep
 * their tags and chain (GET /admin/audit/verify still passes) but the subject's values in
 * them become unreadable. Both actions are themselves audited with `subject` set.
 */
import { Router, type Request, type Response } from 'express';
import type { AuditService } from '../../audit/index.ts';
import type { CoreContext } from '../../context.ts';
import { gwError } from '../../errors.ts';
import type { ProviderServices } from '../../providers-services.ts';
import { transaction } from '../../store/db.ts';
import type { ToolServices } from '../../tools/services.ts';
import { actor, principalOf, requirePrincipal } from '../auth.ts';

const SUBJECT_MAX = 256;

/** Pure: who may act on which subject. */
export function decideSubjectAccess(
  principal: { kind: 'admin' | 'user' | 'agent'; name: string },
  subject: unknown,
): { ok: true; subject: string } | { ok: false; code: 'GW_ERR_VALIDATION' | 'GW_ERR_FORBIDDEN' } {
  if (typeof subject !== 'string' || subject.length === 0 || subject.length > SUBJECT_MAX || /[\u0000-\u001f]/.test(subject)) return { ok: false, code: 'GW_ERR_VALIDATION' };
  if (principal.kind === 'admin') return { ok: true, subject };
  if (principal.kind === 'user' && principal.name === subject) return { ok: true, subject };
  return { ok: false, code: 'GW_ERR_FORBIDDEN' };
}

export function privacyRoutes(ctx: CoreContext, svc: ProviderServices, tools: ToolServices, audit: AuditService): Router {
  const r = Router();
  const bearer = requirePrincipal(ctx, ['admin', 'user']);

  function subjectOf(req: Request, res: Response): string {
    const p = principalOf(res);
    const decision = decideSubjectAccess({ kind: p.kind, name: p.kind === 'agent' ? p.agentId : p.username }, req.query['subject']);
    if (decision.ok) return decision.subject;
    throw decision.code === 'GW_ERR_FORBIDDEN'
      ? gwError('GW_ERR_FORBIDDEN', 'Only an admin or the subject themself may do this.')
      : gwError('GW_ERR_VALIDATION', 'Send ?subject=<name> (1..256 characters).', { extras: { errors: [{ instancePath: '/subject', message: 'must be a non-empty string' }] } });
  }

  r.get('/privacy/export', bearer, async (req, res) => {
    const subject = subjectOf(req, res);
    await ctx.events.record({ type: 'privacy.export', actor: actor(res), subject, outcome: 'ok', requestId: String(res.locals['requestId'] ?? '') });
    const approvals = tools.approvals.forSubject(subject);
    res.setHeader('Cache-Control', 'no-store');
    res.json({
      subject,
      exported_at: new Date(ctx.now()).toISOString(),
      stores: {
        consent_records: svc.consent.exportSubject(subject),
        chat_sessions: svc.sessions.exportSubject(subject),
        approvals,
        tool_calls: tools.calls.forAgent(subject),
        audit_entries: await audit.exportSubject(subject),
      },
    });
  });

  r.delete('/privacy/erase', bearer, async (req, res) => {
    const subject = subjectOf(req, res);
    const rows = transaction(ctx.db, () => {
      return {
        consent_records: svc.consent.eraseSubject(subject),
        chat_sessions: svc.sessions.eraseSubject(subject),
        approvals: tools.approvals.deleteForSubject(subject),
        tool_calls: tools.calls.deleteForAgent(subject),
      };
    });
    const shredded = await audit.eraseSubject(subject);
    const counts = { ...rows, audit_entries: shredded.audit_entries };
    await ctx.events.record({ type: 'privacy.erase', actor: actor(res), subject, outcome: 'ok', requestId: String(res.locals['requestId'] ?? ''), data: counts });
    res.json({ subject, erased: counts });
  });
  return r;
}
