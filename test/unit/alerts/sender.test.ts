import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { backoffMs, createWebhookSender, type Post } from '../../../agent-gateway/alerts/sender.ts';
import type { CheckUrl } from '../../../agent-gateway/alerts/config.ts';
import type { Alert } from '../../../agent-gateway/alerts/types.ts';

const alert: Alert = { type: 'worker.unhealthy', severity: 'critical', message: 'sandbox backend isolate is unhealthy', details: { backend: 'isolate' } };
const allow: CheckUrl = () => ({ ok: true });
const secret = 'k'.repeat(32);

/** A scripted transport: each entry is a status or 'throw'. */
function scripted(script: (number | 'throw')[]) {
  const calls: { url: string; body: string; headers: Record<string, string> }[] = [];
  const post: Post = async (url, body, headers) => {
    calls.push({ url, body, headers });
    const next = script.shift() ?? 200;
    if (next === 'throw') throw new Error('ECONNREFUSED');
    return { status: next };
  };
  return { post, calls };
}

test('sends the gateway.alert body signed over "<t>.<body>" with the secret', async () => {
  const { post, calls } = scripted([204]);
  const sender = createWebhookSender({ post, checkUrl: allow, now: () => 1_700_000_000_500 });
  const out = await sender.send(alert, [{ url: 'https://hooks.example.com/a', secret }]);
  assert.deepEqual(out, [{ url: 'https://hooks.example.com/a', ok: true, attempts: 1, status: 204 }]);
  const c = calls[0]!;
  assert.deepEqual(JSON.parse(c.body), {
    event: 'gateway.alert',
    alert: { backend: 'isolate', type: 'worker.unhealthy', severity: 'critical', message: 'sandbox backend isolate is unhealthy' },
    ts: '2023-11-14T22:13:20.500Z',
  });
  const mac = createHmac('sha256', secret).update(`1700000000.${c.body}`).digest('hex');
  assert.equal(c.headers['x-palisade-signature'], `t=1700000000,v1=${mac}`);
  assert.equal(c.headers['content-type'], 'application/json');
  assert.match(c.headers['x-palisade-delivery'] ?? '', /^[0-9a-f-]{36}$/);
});

test('a webhook without a secret is sent without a signature header', async () => {
  const { post, calls } = scripted([200]);
  await createWebhookSender({ post, checkUrl: allow }).send(alert, [{ url: 'https://h.example.com/' }]);
  assert.equal(calls[0]?.headers['x-palisade-signature'], undefined);
});

test('retries network errors, 429 and 5xx with exponential backoff, then succeeds', async () => {
  const { post, calls } = scripted(['throw', 503, 429, 200]);
  const sleeps: number[] = [];
  let now = 1_000_000;
  const sender = createWebhookSender({ post, checkUrl: allow, now: () => now, sleep: async (ms) => { sleeps.push(ms); now += ms; }, baseDelayMs: 1000 });
  const [d] = await sender.send(alert, [{ url: 'https://h.example.com/', secret }]);
  assert.deepEqual(d, { url: 'https://h.example.com/', ok: true, attempts: 4, status: 200 });
  assert.deepEqual(sleeps, [1000, 2000, 4000]);
  assert.equal(new Set(calls.map((c) => c.body)).size, 1, 'same body on every attempt');
  assert.equal(new Set(calls.map((c) => c.headers['x-palisade-delivery'])).size, 1, 'same delivery id on every attempt');
  assert.notEqual(calls[0]?.headers['x-palisade-signature'], calls[3]?.headers['x-palisade-signature'], 'signed afresh per attempt');
});

test('gives up after maxAttempts and reports the last failure', async () => {
  const { post, calls } = scripted([500, 500, 500, 500]);
  const [d] = await createWebhookSender({ post, checkUrl: allow, sleep: async () => {}, maxAttempts: 3 }).send(alert, [{ url: 'https://h.example.com/' }]);
  assert.deepEqual(d, { url: 'https://h.example.com/', ok: false, attempts: 3, reason: 'http_status', status: 500 });
  assert.equal(calls.length, 3);
});

test('does not retry a final 4xx status', async () => {
  const { post, calls } = scripted([400]);
  const [d] = await createWebhookSender({ post, checkUrl: allow, sleep: async () => {} }).send(alert, [{ url: 'https://h.example.com/' }]);
  assert.deepEqual(d, { url: 'https://h.example.com/', ok: false, attempts: 1, reason: 'http_status', status: 400 });
  assert.equal(calls.length, 1);
});

test('refuses at send time a URL the egress check rejects, without any request', async () => {
  const { post, calls } = scripted([]);
  const privateOnly: CheckUrl = (u) => (new URL(u).hostname.startsWith('10.') ? { ok: false, reason: 'private address' } : { ok: true });
  const out = await createWebhookSender({ post, checkUrl: privateOnly }).send(alert, [{ url: 'http://10.1.2.3/hook' }, { url: 'ftp://h.example.com/' }]);
  assert.deepEqual(out, [
    { url: 'http://10.1.2.3/hook', ok: false, attempts: 0, reason: 'egress_refused' },
    { url: 'ftp://h.example.com/', ok: false, attempts: 0, reason: 'egress_refused' },
  ]);
  assert.equal(calls.length, 0);
});

test('backoff doubles and is capped', () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6].map((a) => backoffMs(a, 500, 5000)), [500, 1000, 2000, 4000, 5000, 5000]);
});

test('an egress refusal at connect (EGR_ERR_DENIED, bare or as undici cause) is final: egress_refused, no retries', async () => {
  const { EgressError } = await import('../../../providers/egress/errors.ts');
  for (const thrown of [new EgressError('EGR_ERR_DENIED', 'EGRESS_PRIVATE'), Object.assign(new Error('fetch failed'), { cause: new EgressError('EGR_ERR_DENIED') })]) {
    let posts = 0;
    const post: Post = async () => {
      posts += 1;
      throw thrown;
    };
    const out = await createWebhookSender({ post, checkUrl: allow, sleep: async () => {} }).send(alert, [{ url: 'https://h.example.com/' }]);
    assert.deepEqual(out, [{ url: 'https://h.example.com/', ok: false, attempts: 1, reason: 'egress_refused' }]);
    assert.equal(posts, 1);
  }
});
