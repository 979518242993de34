/**
 * GET /admin/agents/:id (admin only): one agent as the list shows it (scope, bucket, `parent`,
 * `chain`), plus the session governance state its principal (the root of its delegation chain)
 * holds now: `risk_score` within the current policy's risk window and `tainted`, every taint
 * rule it trips with the call that tripped it (governance/view.ts, the numbers the decision uses).
 */
import { Router } from 'express';
import { AGENT_ID_PATTERN } from '../../auth/agents.ts';
import type { CoreContext } from '../../context.ts';
import { gwError } from '../../errors.ts';
import { sessionView } from '../../governance/view.ts';
import { EMPTY_SUMMARY, summaryWindows } from '../../policy/session.ts';
import { policyHash } from '../../policy/version.ts';
import { principalOf } from '../../tools/admission.ts';
import type { ToolServices } from '../../tools/services.ts';
import { requirePrincipal } from '../auth.ts';
import { param } from '../validate-body.ts';
import { agentListing } from './agents.ts';

const ID = new RegExp(AGENT_ID_PATTERN);

export function agentViewRoutes(ctx: CoreContext, svc: ToolServices): Router {
  const r = Router();
  r.get('/admin/agents/:id', requirePrincipal(ctx, ['admin']), (req, res) => {
    const id = param(req.params['id']);
    const agent = ID.test(id) ? ctx.agents.list().find((a) => a.agent_id === id) : undefined;
    if (agent === undefined) throw gwError('GW_ERR_NOT_FOUND', 'No such agent.');
    const now = svc.now();
    const { doc } = svc.policy.get();
    const chain = svc.chainOf(id);
    const principal = principalOf(id, chain);
    const windows = summaryWindows(doc, now);
    const summary = windows === undefined ? EMPTY_SUMMARY : svc.governance.summary(principal, windows);
    res.json({ ...agentListing(ctx, agent), principal, policy_version: policyHash(doc), ...sessionView(doc, summary, now) });
  });
  return r;
}
