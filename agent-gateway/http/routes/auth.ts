/**
 * POST /admin/login, /admin/refresh, /admin/revoke, /admin/logout, /admin/setup.
 *
 * Login throttling runs before any PBKDF2 work (auth/throttle.ts). An attempt from an
 * untrusted client is counted per username, per client (the whole loopback range is one
 * client: see clientIdentity) and in a global untrusted cap; an attempt that presents a live
 * device token of that username (auth/devices.ts, issued at each successful login as the
 * `palisade_device` cookie, also accepted as `device_token` in the body) is counted only in
 * that device's own bucket, so nobody else's failures can lock the owner out. Successful
 * attempts are refunded: only failures accumulate.
 *
 * Audit-or-refuse: every state change here (session issue, refresh rotation, revoke, logout,
 * setup) is recorded durably before it is applied (auditThen); denials are recorded before the
 * answer. If the audit line cannot be written: 503 GW_ERR_AUDIT_UNAVAILABLE, nothing changed.
 */
import { Router, type Response } from 'express';
import { requestIdOf } from '../locals.ts';
import { DeviceStore, deviceCookie, deviceTokenFromCookie } from '../../auth/devices.ts';
import { dummyPassword, hashPassword, verifyPassword } from '../../auth/password.ts';
import { LoginThrottle, type Bucket } from '../../auth/throttle.ts';
import { USERNAME_PATTERN } from '../../auth/users.ts';
import type { CoreContext } from '../../context.ts';
import { gwError } from '../../errors.ts';
import { auditThen, recordOrRefuse, type SecurityEvent } from '../../events.ts';
import { actor, principalOf, requirePrincipal } from '../auth.ts';
import { clientIdentity, clientKey, limiter } from '../rate-limit.ts';
import { bodyValidator } from '../validate-body.ts';

const username = { type: 'string', minLength: 1, maxLength: 64 } as const;
const password = { type: 'string', minLength: 1, maxLength: 1024 } as const;
const token = { type: 'string', minLength: 1, maxLength: 512 } as const;

export const PASSWORD_RULE = { type: 'string', minLength: 12, maxLength: 1024 } as const;

export const LOGIN_SCHEMA = {
  type: 'object', additionalProperties: false, required: ['username', 'password'],
  properties: { username, password, device_token: token },
} as const;
export const REFRESH_SCHEMA = { type: 'object', additionalProperties: false, required: ['refresh_token'], properties: { refresh_token: token } } as const;
export const REVOKE_SCHEMA = { type: 'object', additionalProperties: false, required: ['token'], properties: { token } } as const;
export const SETUP_SCHEMA = {
  type: 'object', additionalProperties: false, required: ['setup_token', 'username', 'password'],
  properties: { setup_token: token, username: { type: 'string', pattern: USERNAME_PATTERN }, password: PASSWORD_RULE },
} as const;

const invalidRefresh = () => gwError('GW_ERR_INVALID_TOKEN', 'The refresh token is invalid, expired, revoked or already used.', {
  headers: { 'WWW-Authenticate': 'Bearer realm="palisade", error="invalid_token"' },
});

export function authRoutes(ctx: CoreContext): Router {
  const r = Router();
  const loginBody = bodyValidator<{ username: string; password: string; device_token?: string }>(LOGIN_SCHEMA, 'POST /admin/login');
  const refreshBody = bodyValidator<{ refresh_token: string }>(REFRESH_SCHEMA, 'POST /admin/refresh');
  const revokeBody = bodyValidator<{ token: string }>(REVOKE_SCHEMA, 'POST /admin/revoke');
  const setupBody = bodyValidator<{ setup_token: string; username: string; password: string }>(SETUP_SCHEMA, 'POST /admin/setup');
  const a = ctx.config.auth;
  const devices = new DeviceStore(ctx.db);
  const throttle = new LoginThrottle(a.loginWindowSeconds, ctx.now);
  const limited = (bucket: string): void => {
    ctx.events.record({ type: 'auth.login', actor: 'anonymous', outcome: 'denied', data: { reason: 'rate_limited', bucket: bucket.split(':', 1)[0] ?? '' } })
      .catch((e: unknown) => ctx.logger.error('audit write failed', { error: String(e) }));
  };
  // refresh and setup tokens are 256-bit random: the per-client limit only saves work
  const perClient = limiter({
    windowSeconds: a.loginWindowSeconds, limit: a.loginLimitPerClient, skipSuccessful: true, key: clientKey,
  });

  r.post('/admin/login', async (req, res) => {
    const body = loginBody(req);
    const name = body.username.toLowerCase();
    const now = ctx.now();
    const device = devices.check(body.device_token ?? deviceTokenFromCookie(req.headers.cookie), name, now);
    const buckets: Bucket[] = device !== undefined
      ? [{ key: `device:${device}`, limit: a.loginLimitPerDevice }]
      : [
        { key: `user:${name}`, limit: a.loginLimitPerUsername },
        { key: `client:${clientIdentity(req.socket.remoteAddress)}`, limit: a.loginLimitPerClient },
        { key: 'untrusted', limit: a.loginLimitUntrusted },
      ];
    const admitted = throttle.admit(buckets);
    if (!admitted.ok) {
      limited(admitted.key);
      throw gwError('GW_ERR_RATE_LIMITED', `Too many failed attempts; retry in ${admitted.retryAfterSeconds} s.`, {
        headers: { 'Retry-After': String(admitted.retryAfterSeconds) },
      });
    }
    const user = ctx.users.get(name);
    const stored = user?.password ?? (await dummyPassword(a.pbkdf2Iterations));
    const ok = (await verifyPassword(body.password, stored)) && user !== undefined;
    if (!ok || user === undefined) {
      // the subject is set only for an existing account: a guessed name must not create audit subject keys
      await recordOrRefuse(ctx.events, {
        type: 'auth.login', actor: 'anonymous', outcome: 'denied', data: { reason: 'bad_credentials', trusted_device: device !== undefined },
        ...(user === undefined ? {} : { subject: user.username }),
      });
      throw gwError('GW_ERR_INVALID_CREDENTIALS');
    }
    throttle.refund(admitted.keys);
    const issued = await auditThen(ctx.events, {
      plan: () => user,
      event: (u) => ({ type: 'auth.login', actor: `${u.role}:${u.username}`, subject: u.username, outcome: 'ok', data: { role: u.role, trusted_device: device !== undefined } }),
      apply: (u) => ({ tokens: ctx.sessions.issue(u.username, u.role, ctx.now()), device: device === undefined ? devices.issue(u.username, ctx.now()) : undefined }),
    });
    if (issued.device !== undefined) res.append('Set-Cookie', deviceCookie(issued.device));
    res.json(issued.tokens);
  });

  r.post('/admin/refresh', perClient, async (req, res) => {
    const body = refreshBody(req);
    const now = ctx.now();
    const plan = ctx.sessions.peekRefresh(body.refresh_token, now);
    if (!plan.ok) {
      const event: SecurityEvent = {
        type: plan.reason === 'reused' ? 'auth.refresh_reuse' : 'auth.refresh',
        actor: plan.username === undefined ? 'anonymous' : `user:${plan.username}`,
        outcome: 'denied',
        data: { reason: plan.reason, family_revoked: plan.reason === 'reused' },
        ...(plan.username === undefined ? {} : { subject: plan.username }),
      };
      // a reused refresh token is a stolen one: its family is revoked even if the audit
      // line cannot be written (revoking never grants anything); the answer is then 503
      if (plan.reason === 'reused' && plan.familyId !== undefined) ctx.sessions.revokeFamily(plan.familyId, now, 'refresh_token_reuse');
      await recordOrRefuse(ctx.events, event);
      throw invalidRefresh();
    }
    const p = plan.principal;
    const outcome = await auditThen(ctx.events, {
      plan: () => p,
      event: (q) => ({ type: 'auth.refresh', actor: `${q.role}:${q.username}`, subject: q.username, outcome: 'ok' }),
      apply: () => {
        const out = ctx.sessions.refresh(body.refresh_token, ctx.now());
        if (!out.ok) throw invalidRefresh(); // changed since the plan (raced with another use)
        return out;
      },
    });
    res.json(outcome.tokens);
  });

  r.post('/admin/revoke', requirePrincipal(ctx, ['admin']), async (req, res) => {
    const body = revokeBody(req);
    const done = await auditThen(ctx.events, {
      plan: () => {
        const session = ctx.sessions.lookupToken(body.token);
        const agentId = session === undefined ? ctx.agents.idByToken(body.token) : undefined;
        return { session, agentId };
      },
      event: ({ session, agentId }) => ({
        type: 'auth.revoke', actor: actor(res), outcome: session !== undefined || agentId !== undefined ? 'ok' : 'denied',
        data: { kind: session !== undefined ? 'session' : agentId !== undefined ? 'agent' : 'unknown', ...(agentId !== undefined ? { agent_id: agentId } : {}) },
        ...(session === undefined ? {} : { subject: session.username }),
      }),
      apply: ({ session, agentId }) => {
        if (session !== undefined) ctx.sessions.revokeFamily(session.familyId, ctx.now(), 'admin_revoke');
        else if (agentId !== undefined) ctx.agents.delete(agentId);
        return session !== undefined || agentId !== undefined;
      },
    });
    res.json({ revoked: done });
  });

  r.post('/admin/logout', requirePrincipal(ctx, ['admin', 'user']), async (_req, res: Response) => {
    const p = principalOf(res);
    await auditThen(ctx.events, {
      plan: () => p,
      event: () => ({ type: 'auth.logout', actor: actor(res), outcome: 'ok' }),
      apply: (q) => {
        if (q.kind !== 'agent') ctx.sessions.revokeFamily(q.familyId, ctx.now(), 'logout');
      },
    });
    res.status(204).end();
  });

  r.post('/admin/setup', perClient, async (req, res) => {
    const body = setupBody(req);
    if (ctx.users.count('admin') > 0) throw gwError('GW_ERR_SETUP_DONE');
    if (!ctx.setup.matches(body.setup_token)) {
      await recordOrRefuse(ctx.events, { type: 'auth.setup', actor: 'anonymous', outcome: 'denied' });
      throw gwError('GW_ERR_INVALID_TOKEN', 'The setup token is invalid or already used.');
    }
    const pw = await hashPassword(body.password, a.pbkdf2Iterations);
    await auditThen(ctx.events, {
      plan: () => {
        if (ctx.users.count('admin') > 0) throw gwError('GW_ERR_SETUP_DONE');
        if (!ctx.setup.matches(body.setup_token)) throw gwError('GW_ERR_INVALID_TOKEN', 'The setup token is invalid or already used.');
        if (ctx.users.get(body.username) !== undefined) throw gwError('GW_ERR_CONFLICT', 'That username exists.');
        return body.username;
      },
      event: (u) => ({ type: 'user.create', actor: 'setup', subject: u, outcome: 'ok', data: { role: 'admin' } }),
      apply: (u) => {
        if (!ctx.setup.consume(body.setup_token)) throw gwError('GW_ERR_INVALID_TOKEN', 'The setup token is invalid or already used.');
        if (!ctx.users.create(u, 'admin', pw, ctx.now())) throw gwError('GW_ERR_CONFLICT', 'That username exists.');
      },
    });
    ctx.logger.info('created the first admin through /admin/setup', { username: body.username, request_id: requestIdOf(res) });
    res.status(201).json({ username: body.username, role: 'admin' });
  });
  return r;
}
