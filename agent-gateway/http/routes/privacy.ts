/**
 * GET /privacy/export?subject= and DELETE /privacy/erase?subject= for an admin or the subject
 * themself. Subjects are typed (privacy/subjects.ts): `user:<name>` or `agent:<id>`; a bare
 * `<name>` means a user, so the v1 shape still works. A user may act only on their own user
 * subject; agents never. Export is one JSON document with every store that holds the subject
 * (privacy/subject-records.ts: users and sessions rows, consent records, chat sessions,
 * approvals, tool calls) and their audit entries decrypted.
 *
 * Audit-or-refuse: the export is recorded durably before any data is sent; the erase is
 * recorded durably (with the planned counts) BEFORE any row is removed, and if that line
 * cannot be written nothing is erased and the answer is 503 GW_ERR_AUDIT_UNAVAILABLE. The erase
 * then deletes the rows in one transaction and crypto-shreds the subject's audit key (the
 * lines keep their tags and chain; their subject values become unreadable, the erase line
 * included), and a receipt line `privacy.erase` (outcome ok, stage done) readable by the
 * subject is appended.
 */
import { Router, type Request, type Response } from 'express';
import { requestIdOf } from '../locals.ts';
import type { AuditService } from '../../audit/index.ts';
import type { CoreContext } from '../../context.ts';
import { gwError } from '../../errors.ts';
import { auditThen, recordOrRefuse } from '../../events.ts';
import { countsOf, eraseRecords, subjectRecords, type SubjectStores } from '../../privacy/subject-records.ts';
import { decideSubjectAccess, subjectKey, type Subject } from '../../privacy/subjects.ts';
import type { ProviderServices } from '../../providers-services.ts';
import type { ToolServices } from '../../tools/services.ts';
import { actor, principalOf, requirePrincipal } from '../auth.ts';

export { decideSubjectAccess } from '../../privacy/subjects.ts';

export function privacyRoutes(ctx: CoreContext, svc: ProviderServices, tools: ToolServices, audit: AuditService): Router {
  const r = Router();
  const bearer = requirePrincipal(ctx, ['admin', 'user']);
  const stores: SubjectStores = { db: ctx.db, consent: svc.consent, chats: svc.sessions, calls: tools.calls, users: ctx.users };

  function subjectOf(req: Request, res: Response): Subject {
    const p = principalOf(res);
    const decision = decideSubjectAccess({ kind: p.kind, name: p.kind === 'agent' ? p.agentId : p.username }, req.query['subject']);
    if (decision.ok) return decision.subject;
    throw decision.code === 'GW_ERR_FORBIDDEN'
      ? gwError('GW_ERR_FORBIDDEN', decision.message)
      : gwError('GW_ERR_VALIDATION', decision.message, { extras: { errors: [{ instancePath: '/subject', message: decision.message }] } });
  }
  const requestId = requestIdOf;

  r.get('/privacy/export', bearer, async (req, res) => {
    const subject = subjectOf(req, res);
    const key = subjectKey(subject);
    await recordOrRefuse(ctx.events, { type: 'privacy.export', actor: actor(res), subject: key, outcome: 'ok', requestId: requestId(res), data: { subject_kind: subject.kind } });
    const records = subjectRecords(subject, stores);
    res.setHeader('Cache-Control', 'no-store');
    res.json({
      subject: key,
      subject_kind: subject.kind,
      exported_at: new Date(ctx.now()).toISOString(),
      stores: { ...records, audit_entries: await audit.exportSubject(key) },
    });
  });

  r.delete('/privacy/erase', bearer, async (req, res) => {
    const subject = subjectOf(req, res);
    const key = subjectKey(subject);
    const rows = await auditThen(ctx.events, {
      plan: () => {
        const planned = countsOf(subjectRecords(subject, stores));
        if (planned.users > 0 && ctx.users.get(subject.id)?.role === 'admin' && ctx.users.count('admin') <= 1) {
          throw gwError('GW_ERR_CONFLICT', 'The last admin account cannot be erased; create another admin first.');
        }
        return planned;
      },
      event: (planned) => ({
        type: 'privacy.erase', actor: actor(res), subject: key, outcome: 'ok', requestId: requestId(res),
        data: { stage: 'requested', subject_kind: subject.kind, ...planned },
      }),
      apply: () => eraseRecords(subject, stores),
    });
    const shredded = await audit.eraseSubject(key);
    const counts = { ...rows, audit_entries: shredded.audit_entries };
    // the change is applied and its audit line durable; this receipt (readable by the subject,
    // whose earlier lines are now shredded) is best effort
    await ctx.events.record({ type: 'privacy.erase', actor: actor(res), subject: key, outcome: 'ok', requestId: requestId(res), data: { stage: 'done', subject_kind: subject.kind, ...counts } })
      .catch((error: unknown) => ctx.logger.warn('privacy.erase receipt not recorded', { error: String(error) }));
    res.json({ subject: key, subject_kind: subject.kind, erased: counts });
  });
  return r;
}
