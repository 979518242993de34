/**
 * Red-team findings 19.1–19.3 through the real gateway and a real fake provider:
 * - a rule full of catastrophic-backtracking patterns plus 50 KB adversarial page values: the
 *   chat request completes and GET /health keeps answering while it runs; patterns RE2 cannot
 *   run are refused at PUT with a reason;
 * - every HTML form-control bypass of the issue, and the trailing-dot / %2e origin spellings:
 *   no secret reaches the provider in clear.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { call, loginAdmin, startGateway, type TestGateway } from '../support/gateway.ts';
import { startFakeProvider, type FakeProvider } from '../support/fake-provider.ts';

let fake: FakeProvider;
let gw: TestGateway;
let admin: string;

const rulePath = (origin: string): string => `/admin/redaction-rules/${encodeURIComponent(origin)}`;
const chat = (pageContext: unknown) => call(gw.url, 'POST', '/chat/complete', {
  token: admin,
  body: { provider: 'ollama', model: 'llama3', messages: [{ role: 'user', content: 'summarise the page' }], page_context: pageContext },
});

before(async () => {
  fake = await startFakeProvider();
  gw = await startGateway({ env: { PALISADE_PROVIDER_ALLOWLIST: fake.origin, PALISADE_OLLAMA_BASE_URL: fake.origin } });
  admin = (await loginAdmin(gw.url)).token;
});

after(async () => {
  await gw.stop(true);
  await fake.close();
});

describe('ReDoS (19.1)', () => {
  test('patterns RE2 cannot run in linear time are refused at PUT with 422 and a reason', async () => {
    for (const [pattern, reason] of [['(a)\\1', /backreferences are not supported/], ['(?=a)a', /lookahead and lookbehind/], ['(.*a){200}', /too complex/]] as const) {
      const res = await call(gw.url, 'PUT', rulePath('https://shop.example'), { token: admin, body: { patterns: [pattern] } });
      assert.equal(res.status, 422, pattern);
      assert.match(JSON.stringify(res.body.errors), reason);
    }
  });

  test('a rule of catastrophic patterns on 50 KB adversarial values: the request completes and /health answers meanwhile', async (t) => {
    const patterns = ['(a|aa)+$', '(\\w|\\d)+@', '\\d+\\d+\\d+x', '[\\s\\S]*[\\s\\S]*=', '(a+)+$', '(.*a){20}', '^(a|a?)+$', '(\\d+)*$', '(\\w+\\s?)+$', '([a-zA-Z]+)*$'];
    const put = await call(gw.url, 'PUT', rulePath('https://shop.example'), { token: admin, body: { patterns } });
    assert.equal(put.status, 200, put.text);
    const n = 50_000;
    const fields = { a: `${'a'.repeat(n)}!`, d: '1'.repeat(n), w: `${'a1'.repeat(n / 2)}!`, s: ' \n'.repeat(n / 2) };
    const t0 = performance.now();
    let attackDone = 0;
    const attack = chat({ url: 'https://shop.example/cart', fields }).then((r) => {
      attackDone = performance.now();
      return r;
    });
    const healthMs: number[] = [];
    let answeredMeanwhile = false;
    const deadline = t0 + 60_000;
    while (attackDone === 0 && performance.now() < deadline) {
      const h0 = performance.now();
      const health = await call(gw.url, 'GET', '/health');
      assert.equal(health.status, 200);
      healthMs.push(performance.now() - h0);
      if (attackDone === 0) answeredMeanwhile = true;
    }
    const res = await attack;
    t.diagnostic(`attack ${(attackDone - t0).toFixed(0)} ms; ${healthMs.length} /health calls meanwhile, slowest ${Math.max(...healthMs).toFixed(0)} ms`);
    assert.equal(res.status, 200, res.text);
    assert.ok(answeredMeanwhile, '/health was answered while the attack request was in flight');
    assert.ok(attackDone - t0 < 30_000, 'the attack request completed in bounded time');
    assert.ok(Math.max(...healthMs) < 10_000, `/health stayed responsive (${Math.max(...healthMs).toFixed(0)} ms)`);
  });
});

describe('HTML form controls and origin spellings (19.2, 19.3)', () => {
  before(async () => {
    const put = await call(gw.url, 'PUT', rulePath('https://bank.example.com'), { token: admin, body: { fields: ['ssn', 'acct', 'member'] } });
    assert.equal(put.status, 200, put.text);
  });

  const received = (since: number): string => fake.received.slice(since).map((r) => r.body).join('\n');

  test('every form-control bypass from the issue is redacted before the provider', async () => {
    const html = [
      '<form>',
      '<button name="ssn" value="LEAK-BUTTON">Send</button>',
      '<select name="ssn"><option value="LEAK-OPTION-VALUE" selected>LEAK-OPTION-TEXT</option><optgroup label="g"><option>LEAK-OPTGROUP</option></optgroup></select>',
      '<input name="&#115;sn" value="LEAK-ENTITY-NAME">',
      '<input name=pass&#119;ord value=LEAK-ENTITY-PASSWORD>',
      '<input type="hidden" name="acct" value="LEAK-HIDDEN">',
      '<textarea name="member">LEAK-TEXTAREA</textarea>',
      '<output name="ssn">LEAK-OUTPUT</output>',
      '<input name="ssn" list="suggest"><datalist id="suggest"><option value="LEAK-DATALIST">LEAK-DATALIST-TEXT</option></datalist>',
      '<div contenteditable="true" aria-label="SSN">LEAK-CONTENTEDITABLE</div>',
      '<input name="a&#99;ct" value="LEAK-ENTITY-RULE">',
      '<input name="city" value="Lyon-VISIBLE">',
      '</form>',
    ].join('');
    const since = fake.received.length;
    const res = await chat({ url: 'https://bank.example.com/profile', fields: {}, html });
    assert.equal(res.status, 200, res.text);
    const body = received(since);
    assert.ok(body.includes('Lyon-VISIBLE'), 'the page context did reach the provider');
    const leaks = body.match(/LEAK-[A-Z-]+/g) ?? [];
    assert.deepEqual(leaks, [], `provider received ${leaks.join(', ')}`);
  });

  test('trailing-dot, :443 and %2e spellings of the rule origin do not skip the rule', async () => {
    for (const url of ['https://bank.example.com./x', 'https://bank.example.com.:443/x', 'https://bank.example.com%2e/x', 'HTTPS://BANK.EXAMPLE.COM:443/x', 'https://bank%2Eexample.com./x']) {
      const since = fake.received.length;
      const res = await chat({ url, fields: { acct: 'ACCT-LEAK-1', city: 'Nice-VISIBLE' } });
      assert.equal(res.status, 200, `${url}: ${res.text}`);
      const body = received(since);
      assert.ok(body.includes('Nice-VISIBLE'), url);
      assert.equal(body.includes('ACCT-LEAK-1'), false, `${url} leaked the rule field`);
    }
  });

  test('a rule stored under an odd spelling is the same rule', async () => {
    const put = await call(gw.url, 'PUT', rulePath('https://Shop2.example.%2e:443/'), { token: admin, body: { fields: ['memberno'] } });
    assert.equal(put.status, 200, put.text);
    assert.equal(put.body.origin, 'https://shop2.example');
    const since = fake.received.length;
    assert.equal((await chat({ url: 'https://shop2.example/', fields: { memberno: 'MEMBER-LEAK-9', city: 'Pau-VISIBLE' } })).status, 200);
    assert.ok(received(since).includes('Pau-VISIBLE') && !received(since).includes('MEMBER-LEAK-9'));
  });
});
