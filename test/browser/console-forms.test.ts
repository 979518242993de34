/**
 * Console forms in a real Chromium against a real gateway (approve wait 0 ms): a policy
 * document the gateway refuses shows every 422 error inline and changes nothing; a valid one
 * is saved and then decides calls; the audit CSV export downloads the filtered entries; an
 * approve answered 202 (tool still running) shows "running" and then the result from
 * GET /tools/calls/:id; alert thresholds and the approval timeout save from the settings page. Skips locally when /usr/bin/chromium is absent; fails under CI=true.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { chromiumSkipReason, launchChromium } from '../support/browser.ts';
import { ADMIN_PASSWORD, call, createAgent, loginAdmin, startGateway, type TestGateway } from '../support/gateway.ts';

const skip = chromiumSkipReason();

describe('console forms: policy validation, audit export, long-running approval', { skip: skip ?? false, timeout: 180_000 }, () => {
  let gw: TestGateway;
  let browser: Browser;
  let page: Page;
  let admin: string;
  let agentToken: string;

  before(async () => {
    gw = await startGateway({ env: { PALISADE_APPROVE_WAIT_MS: '0' } });
    admin = (await loginAdmin(gw.url)).token;
    agentToken = await createAgent(gw.url, admin, 'forms-bot', ['*']);
    browser = await launchChromium();
    page = await browser.newPage({ acceptDownloads: true });
    await page.goto(`${gw.url}/console#/policy`);
    await page.fill('#login-password', ADMIN_PASSWORD);
    await page.press('#login-password', 'Enter');
    await page.waitForSelector('#view-policy #rules-table');
  });

  after(async () => {
    await browser?.close();
    await gw?.stop(true);
  });

  test('an invalid policy shows each 422 error inline and is not saved; a valid one is saved and enforced', async () => {
    const bad = { rules: [{ id: 'default:mine', effect: 'deny', agents: ['*'], tools: ['echo'] }, { id: 'default:mine', effect: 'allow', agents: ['*'], tools: ['echo'] }] };
    await page.fill('#policy-text', JSON.stringify(bad, null, 2));
    await page.click('#policy-save');
    const box = page.locator('#view-policy .alert-error');
    await box.waitFor();
    const text = (await box.textContent()) ?? '';
    assert.match(text, /\/rules\/0\/id: ids starting with "default:" are reserved/);
    assert.match(text, /GW_ERR_VALIDATION/);
    assert.equal((await call(gw.url, 'GET', '/admin/policy', { token: admin })).body.rules.length, 0, 'nothing saved');

    await page.fill('#policy-text', '{ "rules": [ ');
    await page.click('#policy-save');
    await page.locator('#view-policy .alert-error', { hasText: 'Not valid JSON' }).waitFor();

    const good = { rules: [{ id: 'no-echo', effect: 'deny', agents: ['forms-bot'], tools: ['echo'] }] };
    await page.fill('#policy-text', JSON.stringify(good, null, 2));
    await page.click('#policy-save');
    await page.locator('#view-policy .alert-ok', { hasText: 'Saved as version' }).waitFor();
    await page.locator('#rules-table tr', { hasText: 'no-echo' }).waitFor();
    const denied = await call(gw.url, 'POST', '/tools/call', { token: agentToken, body: { tool: 'echo', args: { text: 'x' } } });
    assert.equal(denied.status, 403);
    assert.equal(denied.body.code, 'GW_ERR_POLICY_DENIED');
  });

  test('audit CSV export downloads the entries of the current filter', async () => {
    await page.click('#nav-audit');
    await page.fill('#f-event', 'policy');
    await page.click('#audit-apply');
    await page.locator('#audit-table tbody tr', { hasText: 'policy.update' }).waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-csv')]);
    assert.equal(download.suggestedFilename(), 'palisade-audit.csv');
    const csv = readFileSync(await download.path(), 'utf8');
    const lines = csv.trim().split(/\r?\n/);
    assert.match(lines[0] ?? '', /seq/);
    assert.ok(lines.slice(1).length >= 1 && lines.slice(1).every((l) => l.includes('policy.')), csv);
  });

  test('an approve answered 202 shows the call running, then its result from GET /tools/calls/:id', async () => {
    await page.click('#nav-approvals');
    await page.waitForSelector('#view-approvals .conn-live');
    const code = 'let x = 0; for (let i = 0; i < 200000000; i++) x = (x + i) % 1000003; return { x };';
    const pending = await call(gw.url, 'POST', '/tools/call', { token: agentToken, body: { tool: 'js.eval', args: { code } } });
    assert.equal(pending.status, 202);
    const cardSel = `[data-approval-id="${pending.body.approval_id}"]`;
    await page.locator(cardSel).waitFor();
    const [answer] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith(`/approvals/${pending.body.approval_id}/approve`)),
      page.click(`${cardSel} .approve`),
    ]);
    assert.equal(answer.status(), 202, 'the gateway did not wait for the tool');
    assert.equal((await answer.json()).status, 'running');
    const result = page.locator(`.closed${cardSel} .result-ok pre`);
    await result.waitFor({ timeout: 30_000 });
    const record = await call(gw.url, 'GET', `/tools/calls/${pending.body.call_id}`, { token: agentToken });
    assert.equal(record.body.status, 'ok');
    assert.deepEqual(JSON.parse((await result.textContent()) ?? ''), record.body.result);
  });

  test('alert thresholds and the approval timeout are saved from the settings page', async () => {
    await page.click('#nav-settings');
    await page.waitForSelector('#alerts-form');
    await page.fill('#a-approval_queue_threshold', '7');
    await page.click('#alerts-form button[type=submit]');
    await page.locator('#view-settings .alert-ok', { hasText: 'Alert settings saved' }).waitFor();
    assert.equal((await call(gw.url, 'GET', '/admin/alerts/config', { token: admin })).body.approval_queue_threshold, 7);
    await page.fill('#approval-timeout', '120');
    await page.click('form[aria-label="Approval timeout"] button[type=submit]');
    await page.locator('form[aria-label="Approval timeout"]', { hasText: 'Saved' }).waitFor();
    assert.equal((await call(gw.url, 'GET', '/admin/approvals/config', { token: admin })).body.timeout_seconds, 120);
  });
});
