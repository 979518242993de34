/** GET /tools, POST /tools/call, GET /tools/calls/:call_id. */
import { Router } from 'express';
import type { CoreContext } from '../../context.ts';
import { gwError } from '../../errors.ts';
import { checkCalls } from '../../tools/check.ts';
import { callTool } from '../../tools/pipeline.ts';
import { stageSince } from '../../metrics/stages.ts';
import { inScope } from '../../tools/scope.ts';
import type { ToolServices } from '../../tools/services.ts';
import { principalOf, requirePrincipal } from '../auth.ts';
import { clientSignal } from '../client-signal.ts';
import { requestIdOf } from '../locals.ts';
import { param } from '../validate-body.ts';

export function toolRoutes(ctx: CoreContext, svc: ToolServices): Router {
  const r = Router();
  const agentOrAdmin = requirePrincipal(ctx, ['agent', 'admin']);

  r.get('/tools', agentOrAdmin, (_req, res) => {
    const p = principalOf(res);
    const tools = svc.registry.list().filter((t) => p.kind !== 'agent' || inScope(p.tools, t.name));
    res.json({ tools });
  });

  r.post('/tools/call', requirePrincipal(ctx, ['agent']), async (req, res) => {
    const p = principalOf(res);
    if (p.kind !== 'agent') throw gwError('GW_ERR_FORBIDDEN');
    const started = performance.now(); // stage timing (metrics/stages.ts): admission → settled outcome
    const outcome = await callTool(svc, { agent: p, body: req.body, requestId: requestIdOf(res), withdraw: clientSignal(res) })
      .finally(() => stageSince('total', started));
    // a queued call: where to poll for its result
    if (outcome.status === 202) res.location(`/tools/calls/${outcome.body.call_id}`);
    res.status(outcome.status).json(outcome.body);
  });

  // a dry run through the same admission code: nothing executed, audited as tool.check
  r.post('/tools/check', requirePrincipal(ctx, ['agent']), async (req, res) => {
    const p = principalOf(res);
    if (p.kind !== 'agent') throw gwError('GW_ERR_FORBIDDEN');
    res.json(await checkCalls(svc, p, req.body, requestIdOf(res)));
  });

  // the public key that verifies call receipts (anyone: it is public)
  r.get('/receipts/key', (_req, res) => {
    if (svc.receipts === undefined) throw gwError('GW_ERR_NOT_FOUND', 'Receipts are not enabled.');
    res.json({ kid: svc.receipts.kid, alg: 'Ed25519', public_key: svc.receipts.publicKeyPem });
  });

  r.get('/tools/calls/:call_id', agentOrAdmin, (req, res) => {
    const p = principalOf(res);
    const record = svc.calls.get(param(req.params['call_id']).slice(0, 128));
    // another agent's call is reported as missing, not forbidden: ids are not an oracle
    if (record === undefined || (p.kind === 'agent' && record.agent_id !== p.agentId)) {
      throw gwError('GW_ERR_NOT_FOUND', 'No such call.');
    }
    res.json(record);
  });
  return r;
}
