/**
 * GET/POST /admin/users, DELETE /admin/users/:u, POST /admin/users/:u/password (admin only).
 * Every change is audited before it is applied (auditThen): no audit line, no change (503).
 */
import { Router } from 'express';
import { hashPassword } from '../../auth/password.ts';
import { USERNAME_PATTERN, type Role } from '../../auth/users.ts';
import type { CoreContext } from '../../context.ts';
import { gwError } from '../../errors.ts';
import { auditThen, type GatewayEvent } from '../../events.ts';
import { actor, requirePrincipal } from '../auth.ts';
import { requestIdOf } from '../locals.ts';
import { bodyValidator, param } from '../validate-body.ts';
import { PASSWORD_RULE } from './auth.ts';

function usernameParam(raw: string | undefined): string {
  if (raw === undefined || !new RegExp(USERNAME_PATTERN).test(raw)) throw gwError('GW_ERR_NOT_FOUND', 'No such user.');
  return raw;
}

export function userRoutes(ctx: CoreContext): Router {
  const r = Router();
  const admin = requirePrincipal(ctx, ['admin']);
  const createBody = bodyValidator<{ username: string; password: string; role: Role }>({
    type: 'object', additionalProperties: false, required: ['username', 'password', 'role'],
    properties: { username: { type: 'string', pattern: USERNAME_PATTERN }, password: PASSWORD_RULE, role: { enum: ['admin', 'user'] } },
  }, 'POST /admin/users');
  const passwordBody = bodyValidator<{ password: string }>({
    type: 'object', additionalProperties: false, required: ['password'], properties: { password: PASSWORD_RULE },
  }, 'POST /admin/users/:u/password');

  r.get('/admin/users', admin, (_req, res) => {
    res.json({ users: ctx.users.list() });
  });

  r.post('/admin/users', admin, async (req, res) => {
    const body = createBody(req);
    if (ctx.users.get(body.username)) throw gwError('GW_ERR_CONFLICT', 'That username exists.');
    const pw = await hashPassword(body.password, ctx.config.auth.pbkdf2Iterations);
    await auditThen(ctx.events, {
      plan: () => {
        if (ctx.users.get(body.username)) throw gwError('GW_ERR_CONFLICT', 'That username exists.');
      },
      event: (): GatewayEvent => ({ type: 'user.create', actor: actor(res), subject: body.username, outcome: 'ok', requestId: requestIdOf(res), data: { role: body.role } }),
      apply: () => {
        if (!ctx.users.create(body.username, body.role, pw, ctx.now())) throw gwError('GW_ERR_CONFLICT', 'That username exists.');
      },
    });
    res.status(201).json({ username: body.username, role: body.role });
  });

  r.delete('/admin/users/:u', admin, async (req, res) => {
    const name = usernameParam(param(req.params['u']));
    await auditThen(ctx.events, {
      plan: () => {
        const user = ctx.users.get(name);
        if (!user) throw gwError('GW_ERR_NOT_FOUND', 'No such user.');
        if (user.role === 'admin' && ctx.users.count('admin') <= 1) throw gwError('GW_ERR_CONFLICT', 'Refusing to delete the last admin.');
      },
      // the line is written before the change, so it records the intent: every session is revoked
      event: (): GatewayEvent => ({ type: 'user.delete', actor: actor(res), subject: name, outcome: 'ok', requestId: requestIdOf(res), data: { sessions: 'revoked' } }),
      apply: () => {
        ctx.users.delete(name);
        return ctx.sessions.revokeUser(name, ctx.now(), 'user_deleted');
      },
    });
    res.status(204).end();
  });

  r.post('/admin/users/:u/password', admin, async (req, res) => {
    const name = usernameParam(param(req.params['u']));
    const body = passwordBody(req);
    if (!ctx.users.get(name)) throw gwError('GW_ERR_NOT_FOUND', 'No such user.');
    const pw = await hashPassword(body.password, ctx.config.auth.pbkdf2Iterations);
    const revoked = await auditThen(ctx.events, {
      plan: () => {
        if (!ctx.users.get(name)) throw gwError('GW_ERR_NOT_FOUND', 'No such user.');
      },
      event: (): GatewayEvent => ({ type: 'user.password', actor: actor(res), subject: name, outcome: 'ok', requestId: requestIdOf(res), data: { sessions: 'revoked' } }),
      apply: () => {
        const now = ctx.now();
        ctx.users.setPassword(name, pw, now);
        return ctx.sessions.revokeUser(name, now, 'password_changed');
      },
    });
    res.json({ username: name, sessions_revoked: revoked });
  });
  return r;
}
