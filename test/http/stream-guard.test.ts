/**
 * Streams end with their session (issue 19 item 4): an approvals SSE stream whose admin token
 * is revoked, or whose admin is deleted, ends within a bounded time with one final error frame
 * and receives no event after; a chat stream ends when its user's token is revoked, and the
 * upstream call is aborted; every stream ends at PALISADE_STREAM_MAX_SECONDS.
 */
import assert from 'node:assert/strict';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { decideStreamContinue } from '../../agent-gateway/http/stream-guard.ts';
import { startFakeProvider, type FakeProvider } from '../support/fake-provider.ts';
import { call, createAgent, loginAdmin, startGateway, type TestGateway } from '../support/gateway.ts';

interface Stream {
  text(): string;
  /** resolves with the elapsed ms when the server ends the response */
  readonly ended: Promise<number>;
  waitFor(pattern: RegExp, ms?: number): Promise<void>;
  close(): void;
}

function openStream(port: number, path: string, token: string, body?: unknown): Stream {
  let buf = '';
  const started = Date.now();
  const waiters: Array<() => void> = [];
  let res: IncomingMessage | undefined;
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const req = httpRequest({
    host: '127.0.0.1', port, path, method: payload === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${token}`, ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }) },
  });
  const ended = new Promise<number>((resolve, reject) => {
    req.on('response', (r) => {
      res = r;
      r.setEncoding('utf8');
      r.on('data', (c: string) => {
        buf += c;
        for (const w of waiters.splice(0)) w();
      });
      r.on('end', () => resolve(Date.now() - started));
      r.on('error', reject);
    });
    req.on('error', reject);
  });
  req.end(payload);
  return {
    text: () => buf,
    ended,
    waitFor: (pattern, ms = 10_000) => new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${pattern} within ${ms} ms; got ${buf.slice(0, 400)}`)), ms);
      const check = (): void => {
        if (pattern.test(buf)) { clearTimeout(timer); resolve(); } else waiters.push(check);
      };
      check();
    }),
    close: () => { res?.destroy(); req.destroy(); },
  };
}

/** The frames after the final error frame (must be none) and that frame's code. */
function finalFrame(text: string): { code: string | undefined; after: string } {
  const i = text.lastIndexOf('event: error\n');
  if (i < 0) return { code: undefined, after: text };
  const rest = text.slice(i);
  const end = rest.indexOf('\n\n');
  return { code: (JSON.parse(rest.slice(rest.indexOf('data: ') + 6, end)) as { code: string }).code, after: rest.slice(end + 2) };
}

describe('approvals stream', () => {
  let gw: TestGateway;
  let owner: string;
  let agent: string;
  before(async () => {
    gw = await startGateway({ mutate: (c) => ({ ...c, auth: { ...c.auth, streamRecheckMs: 200 } }) });
    owner = (await loginAdmin(gw.url)).token;
    agent = await createAgent(gw.url, owner, 'stream-bot', ['js.eval']);
  });
  after(() => gw.stop(true));
  const queue = async (): Promise<string> => {
    const r = await call(gw.url, 'POST', '/tools/call', { token: agent, body: { tool: 'js.eval', args: { code: 'return 1', input: { secret: 'after-revoke' } } } });
    assert.equal(r.status, 202, r.text);
    return r.body.approval_id as string;
  };

  test('revoked while streaming: the next event is not sent, the stream ends with GW_ERR_INVALID_TOKEN', async () => {
    const watcher = (await loginAdmin(gw.url)).token;
    const s = openStream(gw.port, '/approvals/stream', watcher);
    await s.waitFor(/event: snapshot/);
    const first = await queue();
    await s.waitFor(new RegExp(first)); // control: events flow while the token is valid
    const revoked = await call(gw.url, 'POST', '/admin/revoke', { token: owner, body: { token: watcher } });
    assert.equal(revoked.body.revoked, true);
    const second = await queue();
    const elapsed = await Promise.race([s.ended, new Promise<number>((_, r) => setTimeout(() => r(new Error('stream still open 3 s after revoke')), 3_000))]);
    assert.ok(elapsed > 0);
    assert.doesNotMatch(s.text(), new RegExp(second), 'no event after the revocation');
    const last = finalFrame(s.text());
    assert.equal(last.code, 'GW_ERR_INVALID_TOKEN');
    assert.equal(last.after, '', 'nothing after the final frame');
  });

  test('the admin deleted while the stream is idle: it ends within the re-check bound, with nothing after', async () => {
    assert.equal((await call(gw.url, 'POST', '/admin/users', { token: owner, body: { username: 'doomed', password: 'doomed password 1', role: 'admin' } })).status, 201);
    const doomed = (await loginAdmin(gw.url, 'doomed password 1', 'doomed')).token;
    const s = openStream(gw.port, '/approvals/stream', doomed);
    await s.waitFor(/event: snapshot/);
    const t0 = Date.now();
    assert.equal((await call(gw.url, 'DELETE', '/admin/users/doomed', { token: owner })).status, 204);
    await Promise.race([s.ended, new Promise((_, r) => setTimeout(() => r(new Error('stream still open 3 s after the delete')), 3_000))]);
    assert.ok(Date.now() - t0 < 3_000);
    const later = await queue();
    assert.doesNotMatch(s.text(), new RegExp(later));
    assert.equal(finalFrame(s.text()).code, 'GW_ERR_INVALID_TOKEN');
  });
});

describe('stream lifetime', () => {
  test('every stream ends at the configured maximum lifetime with GW_ERR_STREAM_LIFETIME', async (t) => {
    const gw = await startGateway({ mutate: (c) => ({ ...c, auth: { ...c.auth, streamMaxSeconds: 1 } }) });
    t.after(() => gw.stop(true));
    const admin = (await loginAdmin(gw.url)).token;
    const s = openStream(gw.port, '/approvals/stream', admin);
    const elapsed = await Promise.race([s.ended, new Promise<number>((_, r) => setTimeout(() => r(new Error('stream outlived its lifetime')), 5_000))]);
    assert.ok(elapsed >= 900, `ended after ${elapsed} ms`);
    assert.equal(finalFrame(s.text()).code, 'GW_ERR_STREAM_LIFETIME');
  });

  test('PALISADE_STREAM_MAX_SECONDS is parsed and bounded', async () => {
    const { parseConfig } = await import('../../agent-gateway/config.ts');
    const ok = parseConfig({ PALISADE_STREAM_MAX_SECONDS: '120' });
    assert.ok(ok.ok && ok.config.auth.streamMaxSeconds === 120);
    const bad = parseConfig({ PALISADE_STREAM_MAX_SECONDS: '5' });
    assert.ok(!bad.ok && bad.problems.some((p) => p.startsWith('PALISADE_STREAM_MAX_SECONDS')));
  });
});

describe('chat stream', () => {
  let fake: FakeProvider;
  let gw: TestGateway;
  before(async () => {
    fake = await startFakeProvider();
    gw = await startGateway({
      env: { PALISADE_PROVIDER_ALLOWLIST: fake.origin, PALISADE_OPENAI_BASE_URL: fake.origin },
      mutate: (c) => ({ ...c, auth: { ...c.auth, streamRecheckMs: 200 } }),
    });
  });
  after(async () => {
    await gw.stop(true);
    await fake.close();
  });

  test('a user token revoked mid-stream: no delta after, the upstream request is aborted', async () => {
    const admin = (await loginAdmin(gw.url)).token;
    assert.equal((await call(gw.url, 'PUT', '/admin/providers/openai/key', { token: admin, body: { key: 'sk-test-key-123456', ttl_days: 30 } })).status, 200);
    assert.equal((await call(gw.url, 'POST', '/admin/users', { token: admin, body: { username: 'chatter', password: 'chatter password', role: 'user' } })).status, 201);
    const user = (await loginAdmin(gw.url, 'chatter password', 'chatter')).token;
    fake.tokens = Array.from({ length: 400 }, (_, i) => `t${i} `);
    fake.chunkDelayMs = 20;
    const s = openStream(gw.port, '/chat/complete?stream=true', user, { provider: 'openai', model: 'm', messages: [{ role: 'user', content: 'hi' }] });
    await s.waitFor(/"delta"/);
    await call(gw.url, 'POST', '/admin/revoke', { token: admin, body: { token: user } });
    const atRevoke = s.text().length;
    await Promise.race([s.ended, new Promise((_, r) => setTimeout(() => r(new Error('chat stream still open 3 s after revoke')), 3_000))]);
    const tail = s.text().slice(atRevoke);
    const last = finalFrame(s.text());
    assert.equal(last.code, 'GW_ERR_INVALID_TOKEN');
    assert.equal(last.after, '');
    assert.ok((tail.match(/"delta"/g) ?? []).length <= 1, `at most the delta already in flight: ${tail.slice(0, 300)}`);
    assert.doesNotMatch(s.text(), /"done":true/);
    await fake.waitForAbort(5_000);
  });

  test('/v1/chat/completions through the openai SDK: a revoked token ends the stream with a readable APIError, no [DONE]', async () => {
    const admin = (await loginAdmin(gw.url)).token;
    assert.equal((await call(gw.url, 'PUT', '/admin/providers/openai/key', { token: admin, body: { key: 'sk-test-key-123456', ttl_days: 30 } })).status, 200);
    assert.equal((await call(gw.url, 'POST', '/admin/users', { token: admin, body: { username: 'sdk-user', password: 'sdk user password', role: 'user' } })).status, 201);
    const user = (await loginAdmin(gw.url, 'sdk user password', 'sdk-user')).token;
    fake.tokens = Array.from({ length: 400 }, (_, i) => `t${i} `);
    fake.chunkDelayMs = 20;
    const { default: OpenAI } = await import('openai');
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: user, maxRetries: 0, timeout: 30_000 });
    const stream = await client.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }], stream: true });
    let chunks = 0;
    let revokedAt = -1;
    await assert.rejects((async () => {
      for await (const _chunk of stream) {
        chunks += 1;
        if (chunks === 2) {
          revokedAt = chunks;
          await call(gw.url, 'POST', '/admin/revoke', { token: admin, body: { token: user } });
        }
      }
    })(), (error: Error & { code?: unknown }) => {
      assert.match(error.message, /revoked or expired/);
      assert.equal(error.code, 'GW_ERR_INVALID_TOKEN');
      return true;
    });
    assert.ok(revokedAt === 2 && chunks <= 3, `at most the chunk in flight after the revoke (got ${chunks})`);
  });
});

test('decideStreamContinue: same session and existing user continue; revoked, other session, other kind or deleted user end', () => {
  const opened = { kind: 'admin', sessionId: 's1', familyId: 'f1', username: 'alice', role: 'admin' } as const;
  const yes = () => true;
  assert.deepEqual(decideStreamContinue(opened, { ok: true, principal: opened }, ['admin'], yes), { ok: true });
  assert.equal(decideStreamContinue(opened, { ok: false, reason: 'invalid' }, ['admin'], yes).ok, false);
  const other = decideStreamContinue(opened, { ok: true, principal: { ...opened, sessionId: 's2' } }, ['admin'], yes);
  assert.deepEqual(other, { ok: false, code: 'GW_ERR_INVALID_TOKEN', reason: 'principal_changed' });
  const demoted = decideStreamContinue(opened, { ok: true, principal: { ...opened, kind: 'user', role: 'user' } }, ['admin'], yes);
  assert.deepEqual(demoted, { ok: false, code: 'GW_ERR_FORBIDDEN', reason: 'kind_not_allowed' });
  const gone = decideStreamContinue(opened, { ok: true, principal: opened }, ['admin'], () => false);
  assert.deepEqual(gone, { ok: false, code: 'GW_ERR_INVALID_TOKEN', reason: 'user_deleted' });
  const bot = { kind: 'agent', agentId: 'b1', tools: [], expiresAt: 0 } as const;
  assert.equal(decideStreamContinue(bot, { ok: true, principal: { ...bot, agentId: 'b2' } }, ['agent'], yes).ok, false);
});
