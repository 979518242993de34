// Who is calling: bearer parsing, token kinds, session and agent token resolution against the
// real sqlite stores (expiry, revocation, rotation, a missing ancestor), and the express
// adapter (401 missing vs invalid with WWW-Authenticate, 403 for a kind the route refuses).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { openDatabase } from '../../../agent-gateway/store/db.ts';
import { MIGRATIONS } from '../../../agent-gateway/migrations.ts';
import { AgentStore } from '../../../agent-gateway/auth/agents.ts';
import { SessionStore } from '../../../agent-gateway/auth/sessions.ts';
import { actorOf, resolvePrincipal } from '../../../agent-gateway/auth/principal.ts';
import { bearerToken, hashToken, newToken, sameHash, tokenKind } from '../../../agent-gateway/auth/tokens.ts';
import { actor, principalOf, requirePrincipal } from '../../../agent-gateway/http/auth.ts';
import { streamGuard } from '../../../agent-gateway/http/stream-guard.ts';
import { GatewayError } from '../../../agent-gateway/errors.ts';
import { setStageSink, type CallStage } from '../../../agent-gateway/metrics/stages.ts';

function stores(t: { after: (fn: () => void) => void }) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'palisade-principal-'));
  const db = openDatabase(dir, MIGRATIONS);
  t.after(() => {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return { db, sessions: new SessionStore(db, { accessTtlSeconds: 60, refreshTtlSeconds: 600 }), agents: new AgentStore(db) };
}

test('tokens: prefixes by kind, exact shape, hash comparison refuses empty and different lengths', () => {
  const kinds = ['access', 'refresh', 'agent', 'setup', 'device'] as const;
  for (const k of kinds) {
    const tok = newToken(k);
    assert.equal(tokenKind(tok), k);
    assert.equal(tok.length, 7 + 43);
    assert.equal(tokenKind(`${tok}x`), undefined, 'one character too many');
    assert.equal(tokenKind(tok.slice(0, -1)), undefined, 'one too few');
    assert.equal(tokenKind(` ${tok}`), undefined);
  }
  assert.equal(tokenKind(`pal_xx_${'a'.repeat(43)}`), undefined);
  assert.equal(tokenKind(`pal_at_${'a'.repeat(42)}=`), undefined, 'base64url alphabet only');
  assert.notEqual(newToken('agent'), newToken('agent'));
  assert.match(hashToken('x'), /^[0-9a-f]{64}$/);
  assert.equal(hashToken('x'), '2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881');
  assert.equal(sameHash(hashToken('a'), hashToken('a')), true);
  assert.equal(sameHash(hashToken('a'), hashToken('b')), false);
  assert.equal(sameHash('', ''), false, 'two empty hashes are not a match');
  assert.equal(sameHash('abcd', 'abcdef'), false);
});

test('bearerToken: absent vs present-but-malformed', () => {
  assert.deepEqual(bearerToken(undefined), { present: false, token: undefined });
  assert.deepEqual(bearerToken(''), { present: false, token: undefined });
  assert.deepEqual(bearerToken('Bearer abc'), { present: true, token: 'abc' });
  assert.deepEqual(bearerToken(`Bearer ${'a'.repeat(512)}`), { present: true, token: 'a'.repeat(512) });
  for (const h of ['Bearer', 'Bearer ', 'bearer abc', 'Basic abc', 'Bearer a b', 'Bearer  abc', `Bearer ${'a'.repeat(513)}`, 'Bearer é', 'xBearer abc', 'Bearer abc\n']) {
    assert.deepEqual(bearerToken(h), { present: true, token: undefined }, JSON.stringify(h));
  }
});

test('resolvePrincipal: sessions by role, agents with their chain; expired, revoked, rotated and other kinds are invalid', (t) => {
  const s = stores(t);
  const now = 1_000_000;
  const admin = s.sessions.issue('alice', 'admin', now);
  const user = s.sessions.issue('bob', 'user', now);
  const a = resolvePrincipal(`Bearer ${admin.token}`, s, now);
  assert.ok(a.ok && a.principal.kind === 'admin');
  assert.equal(a.ok && actorOf(a.principal), 'admin:alice');
  const u = resolvePrincipal(`Bearer ${user.token}`, s, now);
  assert.ok(u.ok && u.principal.kind === 'user');
  assert.equal(u.ok && actorOf(u.principal), 'user:bob');
  assert.deepEqual(resolvePrincipal(`Bearer ${admin.token}`, s, now + 60_000), { ok: false, reason: 'invalid' }, 'expired exactly at its ttl');
  assert.equal(resolvePrincipal(`Bearer ${admin.token}`, s, now + 59_999).ok, true);
  assert.deepEqual(resolvePrincipal(`Bearer ${admin.refresh_token}`, s, now), { ok: false, reason: 'invalid' }, 'a refresh token is not an access token');
  assert.deepEqual(resolvePrincipal(undefined, s, now), { ok: false, reason: 'missing' });
  assert.deepEqual(resolvePrincipal('Bearer nope', s, now), { ok: false, reason: 'invalid' });
  assert.deepEqual(resolvePrincipal('Token x', s, now), { ok: false, reason: 'invalid' });
  for (const k of ['setup', 'device', 'refresh'] as const) assert.deepEqual(resolvePrincipal(`Bearer ${newToken(k)}`, s, now), { ok: false, reason: 'invalid' });
  assert.deepEqual(resolvePrincipal(`Bearer ${newToken('access')}`, s, now), { ok: false, reason: 'invalid' }, 'unknown access token');
  assert.deepEqual(resolvePrincipal(`Bearer ${newToken('agent')}`, s, now), { ok: false, reason: 'invalid' }, 'unknown agent token');
  s.sessions.revokeUser('bob', now, 'test');
  assert.deepEqual(resolvePrincipal(`Bearer ${user.token}`, s, now), { ok: false, reason: 'invalid' }, 'revoked');
  const again = s.sessions.issue('carol', 'user', now);
  const r = s.sessions.refresh(again.refresh_token, now);
  assert.ok(r.ok);
  assert.deepEqual(resolvePrincipal(`Bearer ${again.token}`, s, now), { ok: false, reason: 'invalid' }, 'rotated by a refresh');
  assert.equal(resolvePrincipal(`Bearer ${r.ok ? r.tokens.token : ''}`, s, now).ok, true);

  const root = s.agents.create('root', ['*'], 60, 'admin:alice', now);
  assert.ok(root);
  const child = s.agents.create('child', ['echo'], 120, 'agent:root', now, undefined, 'root');
  assert.ok(child);
  const c = resolvePrincipal(`Bearer ${child.token}`, s, now);
  assert.ok(c.ok && c.principal.kind === 'agent');
  assert.deepEqual(c.ok && c.principal.kind === 'agent' ? { id: c.principal.agentId, tools: c.principal.tools, chain: c.principal.chain } : undefined,
    { id: 'child', tools: ['echo'], chain: ['root'] });
  assert.equal(c.ok && actorOf(c.principal), 'agent:child');
  assert.deepEqual(resolvePrincipal(`Bearer ${child.token}`, s, now + 60_000), { ok: false, reason: 'invalid' }, 'an expired ancestor revokes the child');
  assert.equal(resolvePrincipal(`Bearer ${child.token}`, s, now + 59_999).ok, true);
  assert.ok(s.agents.delete('root'));
  assert.deepEqual(resolvePrincipal(`Bearer ${child.token}`, s, now), { ok: false, reason: 'invalid' }, 'a deleted ancestor revokes the child');
});

async function app(t: { after: (fn: () => Promise<void>) => void }, deps: Parameters<typeof requirePrincipal>[0]) {
  const a = express();
  a.get('/admin', requirePrincipal(deps, ['admin']), (_req, res) => { res.json({ actor: actor(res), kind: principalOf(res).kind }); });
  a.get('/any', requirePrincipal(deps, ['admin', 'user', 'agent']), (_req, res) => { res.json({ actor: actor(res) }); });
  a.get('/open', (_req, res) => {
    let thrown = '';
    try { principalOf(res); } catch (e) { thrown = e instanceof GatewayError ? e.code : 'other'; }
    res.json({ actor: actor(res), thrown });
  });
  a.use((err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    const e = err instanceof GatewayError ? err : undefined;
    for (const [k, v] of Object.entries(e?.headers ?? {})) res.setHeader(k, v);
    res.status(e?.status ?? 500).json({ code: e?.code ?? 'other', detail: e?.detail });
  });
  const server = http.createServer(a);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const port = (server.address() as AddressInfo).port;
  return async (p: string, authorization?: string) => {
    const res = await fetch(`http://127.0.0.1:${port}${p}`, { headers: authorization === undefined ? {} : { authorization } });
    return { status: res.status, www: res.headers.get('www-authenticate'), body: await res.json() as Record<string, unknown> };
  };
}

test('requirePrincipal: 401 missing and invalid with their WWW-Authenticate, 403 for a refused kind, locals for the route', async (t) => {
  const s = stores(t);
  const now = Date.now();
  const get = await app(t, { ...s, now: () => now });
  const admin = s.sessions.issue('alice', 'admin', now);
  const user = s.sessions.issue('bob', 'user', now);
  const missing = await get('/admin');
  assert.deepEqual(missing, { status: 401, www: 'Bearer realm="palisade"', body: { code: 'GW_ERR_UNAUTHENTICATED', detail: 'Send Authorization: Bearer <token>.' } });
  const invalid = await get('/admin', `Bearer ${newToken('access')}`);
  assert.deepEqual(invalid, { status: 401, www: 'Bearer realm="palisade", error="invalid_token"', body: { code: 'GW_ERR_INVALID_TOKEN', detail: 'The bearer token is invalid, expired or revoked.' } });
  const forbidden = await get('/admin', `Bearer ${user.token}`);
  assert.deepEqual(forbidden, { status: 403, www: null, body: { code: 'GW_ERR_FORBIDDEN', detail: 'This route is not available to user tokens.' } });
  assert.deepEqual(await get('/admin', `Bearer ${admin.token}`), { status: 200, www: null, body: { actor: 'admin:alice', kind: 'admin' } });
  assert.deepEqual((await get('/any', `Bearer ${user.token}`)).body, { actor: 'user:bob' });
  assert.deepEqual((await get('/open')).body, { actor: 'anonymous', thrown: 'GW_ERR_INTERNAL' }, 'a route without the middleware gets no principal');
});

test('resolvePrincipal times each token lookup as the auth stage; a missing or malformed header is refused before any lookup', (t) => {
  const s = stores(t);
  const seen: CallStage[] = [];
  setStageSink((stage, seconds) => { assert.ok(seconds >= 0); seen.push(stage); });
  t.after(() => setStageSink(undefined));
  const now = 1_000_000;
  assert.deepEqual(resolvePrincipal(undefined, s, now), { ok: false, reason: 'missing' });
  assert.deepEqual(resolvePrincipal('Basic dXNlcg==', s, now), { ok: false, reason: 'invalid' });
  assert.deepEqual(resolvePrincipal('Bearer ', s, now), { ok: false, reason: 'invalid' });
  assert.deepEqual(seen, []);
  const admin = s.sessions.issue('alice', 'admin', now);
  assert.equal(resolvePrincipal(`Bearer ${admin.token}`, s, now).ok, true);
  assert.deepEqual(resolvePrincipal(`Bearer ${newToken('agent')}`, s, now), { ok: false, reason: 'invalid' });
  assert.deepEqual(seen, ['auth', 'auth']);
});

test('an open stream re-checks its token before each frame without timing it as the auth stage; the re-check still sees a revoke', (t) => {
  const s = stores(t);
  const seen: CallStage[] = [];
  setStageSink((stage) => { seen.push(stage); });
  t.after(() => setStageSink(undefined));
  const now = 1_000_000;
  const header = `Bearer ${s.sessions.issue('alice', 'admin', now).token}`;
  const opened = resolvePrincipal(header, s, now);
  assert.ok(opened.ok && opened.principal.kind === 'admin');
  const guard = streamGuard({ ...s, now: () => now }, header, opened.principal, ['admin', 'user']);
  for (let i = 0; i < 5; i++) assert.equal(guard.check(), null);
  assert.deepEqual(seen, ['auth'], 'the request that opened the stream, not its re-checks');
  s.sessions.revokeFamily(opened.principal.familyId, now, 'test');
  assert.equal(guard.check()?.code, 'GW_ERR_INVALID_TOKEN');
  assert.deepEqual(seen, ['auth']);
});
