/**
 * Console session handling in a real Chromium against a real gateway with a 6 s access token:
 * the page refreshes the token before it expires (the old one is then refused), the live
 * approval stream survives the rotation and still shows new items, and a throttled login
 * shows the gateway's Retry-After with the button disabled. Skips locally when
 * /usr/bin/chromium is absent; fails under CI=true.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { chromiumSkipReason, launchChromium } from '../support/browser.ts';
import { ADMIN_PASSWORD, call, createAgent, loginAdmin, startGateway, type TestGateway } from '../support/gateway.ts';

const skip = chromiumSkipReason();

describe('console session: refresh before expiry, login throttling', { skip: skip ?? false, timeout: 180_000 }, () => {
  let gw: TestGateway;
  let browser: Browser;
  let agentToken: string;

  before(async () => {
    gw = await startGateway({
      mutate: (c) => ({ ...c, auth: { ...c.auth, accessTtlSeconds: 6, loginLimitPerUsername: 2, loginLimitPerClient: 50 } }),
    });
    agentToken = await createAgent(gw.url, (await loginAdmin(gw.url)).token, 'session-bot', ['*']);
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await gw?.stop(true);
  });

  const bearerOf = (auth: string | undefined): string => (auth ?? '').replace(/^Bearer /, '');

  test('the token is refreshed before it expires; the old one is refused; the stream keeps delivering', async () => {
    const page: Page = await browser.newPage();
    try {
      await page.goto(`${gw.url}/console`);
      const first = page.waitForRequest((r) => r.url().endsWith('/admin/kill-switch') && r.headers()['authorization'] !== undefined);
      await page.fill('#login-password', ADMIN_PASSWORD);
      await page.press('#login-password', 'Enter');
      const oldToken = bearerOf((await first).headers()['authorization']);
      await page.waitForSelector('#view-approvals .conn-live');

      const refreshed = await page.waitForResponse((r) => r.url().endsWith('/admin/refresh'), { timeout: 15_000 });
      assert.equal(refreshed.status(), 200, 'refreshed by the page before the 6 s token expired');
      const next = await page.waitForRequest((r) => r.headers()['authorization'] !== undefined && bearerOf(r.headers()['authorization']) !== oldToken);
      const newToken = bearerOf(next.headers()['authorization']);
      assert.notEqual(newToken, oldToken);
      assert.equal((await call(gw.url, 'GET', '/admin/kill-switch', { token: oldToken })).status, 401, 'the rotated token is dead');
      assert.equal((await call(gw.url, 'GET', '/admin/kill-switch', { token: newToken })).status, 200);

      await page.waitForSelector('#view-approvals .conn-live');
      const pending = await call(gw.url, 'POST', '/tools/call', { token: agentToken, body: { tool: 'js.eval', args: { code: 'return 1;' } } });
      assert.equal(pending.status, 202);
      await page.locator(`[data-approval-id="${pending.body.approval_id}"]`).waitFor({ timeout: 10_000 });
      assert.equal(await page.locator('#login-password').count(), 0, 'still signed in');
    } finally {
      await page.close();
    }
  });

  test('a throttled login shows the Retry-After countdown and keeps the button disabled', async () => {
    const page: Page = await browser.newPage();
    try {
      await page.goto(`${gw.url}/console`);
      let limited = false;
      for (let i = 0; i < 5 && !limited; i++) {
        await page.fill('#login-username', 'nobody');
        await page.fill('#login-password', `wrong password ${i}`);
        const answer = page.waitForResponse((r) => r.url().endsWith('/admin/login'));
        await page.press('#login-password', 'Enter');
        const res = await answer;
        if (res.status() === 429) {
          limited = true;
          const retry = Number(res.headers()['retry-after']);
          assert.ok(retry > 0, 'Retry-After sent');
          await page.waitForSelector('#login-error .retry');
          const text = (await page.textContent('#login-error')) ?? '';
          assert.match(text, /Too many failed attempts\.\s+Try again in \d+ s\./);
          assert.equal(await page.locator('button[type=submit]').isDisabled(), true);
        } else {
          assert.equal(res.status(), 401);
          await page.waitForSelector('#login-error');
          assert.match((await page.textContent('#login-error')) ?? '', /Invalid username or password/);
        }
      }
      assert.ok(limited, 'the gateway throttled the guesses');
    } finally {
      await page.close();
    }
  });
});
