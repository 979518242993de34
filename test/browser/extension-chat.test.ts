/**
 * A real headless Chromium loads a page from an origin listed in PALISADE_CORS_ORIGINS, logs
 * in, streams a chat through fetch + a stream reader and renders the tokens into the DOM; the
 * same page from another local origin is refused by CORS. Gateway, pages and fake provider
 * all listen on 127.0.0.1. Skips locally (with the reason) when /usr/bin/chromium is absent;
 * fails under CI=true.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { chromiumSkipReason, launchChromium, serveStatic, type StaticSite } from '../support/browser.ts';
import { call, loginAdmin, startGateway, type TestGateway } from '../support/gateway.ts';
import { startFakeProvider, type FakeProvider } from '../support/fake-provider.ts';

const skip = chromiumSkipReason();
const PAGE = readFileSync(new URL('./chat-page.html', import.meta.url), 'utf8');
const USER = 'grace';
const PASSWORD = 'grace password long';

describe('browser extension chat over CORS', { skip: skip ?? false, timeout: 180_000 }, () => {
  let fake: FakeProvider;
  let gw: TestGateway;
  let allowed: StaticSite;
  let other: StaticSite;
  let browser: Browser;

  before(async () => {
    fake = await startFakeProvider();
    fake.tokens = ['Tokens ', 'rendered ', 'by ', 'Chromium'];
    fake.chunkDelayMs = 20;
    allowed = await serveStatic({ '/': PAGE });
    other = await serveStatic({ '/': PAGE });
    gw = await startGateway({
      env: {
        PALISADE_CORS_ORIGINS: allowed.origin,
        PALISADE_PROVIDER_ALLOWLIST: fake.origin,
        PALISADE_OPENAI_BASE_URL: fake.origin,
        PALISADE_ANTHROPIC_BASE_URL: fake.origin,
        PALISADE_OLLAMA_BASE_URL: fake.origin,
        PALISADE_OPENROUTER_BASE_URL: fake.origin,
      },
    });
    const admin = (await loginAdmin(gw.url)).token;
    assert.equal((await call(gw.url, 'POST', '/admin/users', { token: admin, body: { username: USER, password: PASSWORD, role: 'user' } })).status, 201);
    assert.equal((await call(gw.url, 'PUT', '/admin/providers/openai/key', { token: admin, body: { key: 'sk-browser-test-key', ttl_days: 1 } })).status, 200);
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await gw?.stop(true);
    await Promise.all([allowed?.close(), other?.close(), fake?.close()]);
  });

  test('a page on an allowed origin streams a chat with fetch and renders every token', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(`${allowed.origin}/`);
      const result = await page.evaluate(
        ([gateway, u, p]) => (globalThis as unknown as { runChat: (...a: string[]) => Promise<{ rendered: string; content: string; session_id: string }> }).runChat(gateway as string, u as string, p as string, 'hello'),
        [gw.url, USER, PASSWORD],
      );
      assert.equal(result.content, 'Tokens rendered by Chromium');
      assert.equal(result.rendered, result.content);
      assert.equal(await page.textContent('#out'), 'Tokens rendered by Chromium');
      assert.equal(await page.textContent('#status'), 'done');
      assert.match(result.session_id, /^[0-9a-f-]{36}$/);
    } finally {
      await page.close();
    }
  });

  test('the same page on a disallowed origin is refused by CORS: the fetch rejects and nothing reaches the provider', async () => {
    const before = fake.received.length;
    const page = await browser.newPage();
    try {
      await page.goto(`${other.origin}/`);
      const outcome = await page.evaluate(async ([gateway, u, p]) => {
        try {
          await (globalThis as unknown as { runChat: (...a: string[]) => Promise<unknown> }).runChat(gateway as string, u as string, p as string, 'hello');
          return { rejected: false, name: '', message: '' };
        } catch (e) {
          return { rejected: true, name: (e as Error).name, message: (e as Error).message };
        }
      }, [gw.url, USER, PASSWORD]);
      assert.equal(outcome.rejected, true);
      assert.equal(outcome.name, 'TypeError', `a CORS failure is a network TypeError, got ${outcome.name}: ${outcome.message}`);
      assert.equal(await page.textContent('#out'), '');
      assert.equal(fake.received.length, before);
    } finally {
      await page.close();
    }
  });
});
