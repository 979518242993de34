/** POST /admin/login, /admin/refresh, /admin/revoke, /admin/logout, /admin/setup. */
import { Router, type Request } from 'express';
import { dummyPassword, hashPassword, verifyPassword } from '../../auth/password.ts';
import { USERNAME_PATTERN } from '../../auth/users.ts';
import type { CoreContext } from '../../context.ts';
import { gwError } from '../../errors.ts';
import { actor, principalOf, requirePrincipal } from '../auth.ts';
import { clientKey, limiter } from '../rate-limit.ts';
import { bodyValidator } from '../validate-body.ts';

const username = { type: 'string', minLength: 1, maxLength: 64 } as const;
const password = { type: 'string', minLength: 1, maxLength: 1024 } as const;
const token = { type: 'string', minLength: 1, maxLength: 512 } as const;

export const PASSWORD_RULE = { type: 'string', minLength: 12, maxLength: 1024 } as const;

function bodyUsername(req: Request): string {
  const u: unknown = (req.body as Record<string, unknown> | undefined)?.['username'];
  return typeof u === 'string' ? u.slice(0, 64).toLowerCase() : '';
}

export function authRoutes(ctx: CoreContext): Router {
  const r = Router();
  const loginBody = bodyValidator<{ username: string; password: string }>({
    type: 'object', additionalProperties: false, required: ['username', 'password'], properties: { username, password },
  });
  const refreshBody = bodyValidator<{ refresh_token: string }>({
    type: 'object', additionalProperties: false, required: ['refresh_token'], properties: { refresh_token: token },
  });
  const revokeBody = bodyValidator<{ token: string }>({
    type: 'object', additionalProperties: false, required: ['token'], properties: { token },
  });
  const setupBody = bodyValidator<{ setup_token: string; username: string; password: string }>({
    type: 'object', additionalProperties: false, required: ['setup_token', 'username', 'password'],
    properties: { setup_token: token, username: { type: 'string', pattern: USERNAME_PATTERN }, password: PASSWORD_RULE },
  });
  const { loginLimitPerClient, loginLimitPerUsername, loginWindowSeconds } = ctx.config.auth;
  const limited = (): void => {
    ctx.events.record({ type: 'auth.login', actor: 'anonymous', outcome: 'denied', data: { reason: 'rate_limited' } })
      .catch((e: unknown) => ctx.logger.error('audit write failed', { error: String(e) }));
  };
  // Both limiters count failed attempts only (successful logins are not brute force) and run
  // before validation and hashing, so a limited request costs no PBKDF2 work.
  const perClient = limiter({
    windowSeconds: loginWindowSeconds, limit: loginLimitPerClient, skipSuccessful: true, key: clientKey, onLimited: limited,
  });
  const perUsername = limiter({
    windowSeconds: loginWindowSeconds, limit: loginLimitPerUsername, skipSuccessful: true,
    key: (req) => `user:${bodyUsername(req)}`, onLimited: limited,
  });

  r.post('/admin/login', perClient, perUsername, async (req, res) => {
    const body = loginBody(req);
    const name = body.username.toLowerCase();
    const user = ctx.users.get(name);
    const stored = user?.password ?? (await dummyPassword(ctx.config.auth.pbkdf2Iterations));
    const ok = (await verifyPassword(body.password, stored)) && user !== undefined;
    if (!ok || user === undefined) {
      // the subject is set only for an existing account: a guessed name must not create audit subject keys
      await ctx.events.record({
        type: 'auth.login', actor: 'anonymous', outcome: 'denied', data: { reason: 'bad_credentials' },
        ...(user === undefined ? {} : { subject: user.username }),
      });
      throw gwError('GW_ERR_INVALID_CREDENTIALS');
    }
    const tokens = ctx.sessions.issue(user.username, user.role, ctx.now());
    await ctx.events.record({ type: 'auth.login', actor: `${user.role}:${user.username}`, subject: user.username, outcome: 'ok', data: { role: user.role } });
    res.json(tokens);
  });

  r.post('/admin/refresh', perClient, async (req, res) => {
    const body = refreshBody(req);
    const outcome = ctx.sessions.refresh(body.refresh_token, ctx.now());
    if (!outcome.ok) {
      await ctx.events.record({
        type: outcome.reason === 'reused' ? 'auth.refresh_reuse' : 'auth.refresh',
        actor: outcome.username === undefined ? 'anonymous' : `user:${outcome.username}`,
        outcome: 'denied',
        data: { reason: outcome.reason, family_revoked: outcome.reason === 'reused' },
        ...(outcome.username === undefined ? {} : { subject: outcome.username }),
      });
      throw gwError('GW_ERR_INVALID_TOKEN', 'The refresh token is invalid, expired, revoked or already used.', {
        headers: { 'WWW-Authenticate': 'Bearer realm="palisade", error="invalid_token"' },
      });
    }
    const p = outcome.principal;
    await ctx.events.record({ type: 'auth.refresh', actor: `${p.role}:${p.username}`, subject: p.username, outcome: 'ok' });
    res.json(outcome.tokens);
  });

  r.post('/admin/revoke', requirePrincipal(ctx, ['admin']), async (req, res) => {
    const body = revokeBody(req);
    const now = ctx.now();
    const session = ctx.sessions.revokeByToken(body.token, now, 'admin_revoke');
    const agentId = session.revoked ? undefined : ctx.agents.deleteByToken(body.token);
    const revoked = session.revoked || agentId !== undefined;
    await ctx.events.record({
      type: 'auth.revoke', actor: actor(res), outcome: revoked ? 'ok' : 'denied',
      data: { kind: session.revoked ? 'session' : agentId !== undefined ? 'agent' : 'unknown', ...(agentId ? { agent_id: agentId } : {}) },
      ...(session.username === undefined ? {} : { subject: session.username }),
    });
    res.json({ revoked });
  });

  r.post('/admin/logout', requirePrincipal(ctx, ['admin', 'user']), async (_req, res) => {
    const p = principalOf(res);
    if (p.kind !== 'agent') ctx.sessions.revokeFamily(p.familyId, ctx.now(), 'logout');
    await ctx.events.record({ type: 'auth.logout', actor: actor(res), outcome: 'ok' });
    res.status(204).end();
  });

  r.post('/admin/setup', perClient, async (req, res) => {
    const body = setupBody(req);
    if (ctx.users.count('admin') > 0) throw gwError('GW_ERR_SETUP_DONE');
    if (!ctx.setup.consume(body.setup_token)) {
      await ctx.events.record({ type: 'auth.setup', actor: 'anonymous', outcome: 'denied' });
      throw gwError('GW_ERR_INVALID_TOKEN', 'The setup token is invalid or already used.');
    }
    const pw = await hashPassword(body.password, ctx.config.auth.pbkdf2Iterations);
    if (!ctx.users.create(body.username, 'admin', pw, ctx.now())) throw gwError('GW_ERR_CONFLICT', 'That username exists.');
    await ctx.events.record({ type: 'user.create', actor: 'setup', subject: body.username, outcome: 'ok', data: { role: 'admin' } });
    ctx.logger.info('created the first admin through /admin/setup', { username: body.username, request_id: res.locals['requestId'] });
    res.status(201).json({ username: body.username, role: 'admin' });
  });
  return r;
}
