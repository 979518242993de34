/**
 * Receipts end to end (issue 14): GET /tools/calls/:id of a finished call carries the very
 * receipt the call returned (also after an approval and after a restart), and
 * `palisade receipt verify --url` checks it against a running gateway, naming an edited field
 * from the gateway's own record when it has a token.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { verifyReceipt } from '../../agent-gateway/receipts/receipt.ts';
import { call, createAgent, loginAdmin, startGateway, tempDir } from '../support/gateway.ts';
import { runCli } from '../unit/cli/spawn-cli.ts';

test('GET /tools/calls/:id shows the receipt the call returned, for a direct and an approved call, across a restart; none for a failed call', async () => {
  let gw = await startGateway();
  try {
    let admin = (await loginAdmin(gw.url)).token;
    const bot = await createAgent(gw.url, admin, 'bot', ['echo', 'js.eval']);
    const key = (await call(gw.url, 'GET', '/receipts/key')).body.public_key as string;

    const direct = await call(gw.url, 'POST', '/tools/call', { token: bot, body: { tool: 'echo', args: { text: 'hi' } } });
    assert.equal(direct.status, 200, direct.text);
    assert.deepEqual(verifyReceipt(direct.body.receipt, key), { ok: true });
    const rec = await call(gw.url, 'GET', `/tools/calls/${direct.body.call_id}`, { token: bot });
    assert.equal(rec.status, 200, rec.text);
    assert.equal(rec.body.status, 'ok');
    assert.deepEqual(rec.body.receipt, direct.body.receipt, 'the same receipt, not a new one');
    assert.deepEqual((await call(gw.url, 'GET', `/tools/calls/${direct.body.call_id}`, { token: admin })).body.receipt, direct.body.receipt);

    // js.eval (high risk) queues; the approved run's receipt says require_approval and is stored too
    const queued = await call(gw.url, 'POST', '/tools/call', { token: bot, body: { tool: 'js.eval', args: { code: 'return 6 * 7' } } });
    assert.equal(queued.status, 202, queued.text);
    const pending = await call(gw.url, 'GET', `/tools/calls/${queued.body.call_id}`, { token: bot });
    assert.equal(pending.body.receipt, undefined, 'no receipt before the call has run');
    const approved = await call(gw.url, 'POST', `/approvals/${queued.body.approval_id}/approve`, { token: admin });
    assert.equal(approved.status, 200, approved.text);
    const after = await call(gw.url, 'GET', `/tools/calls/${queued.body.call_id}`, { token: bot });
    assert.equal(after.body.result, 42);
    assert.equal(after.body.receipt.decision, 'require_approval');
    assert.equal(after.body.receipt.call_id, queued.body.call_id);
    assert.deepEqual(verifyReceipt(after.body.receipt, key), { ok: true });

    // a call that failed inside the sandbox gets no receipt, in its answer or its record
    const failed = await call(gw.url, 'POST', '/tools/call', { token: bot, body: { tool: 'js.eval', args: { code: 'throw new Error("no")' } } });
    await call(gw.url, 'POST', `/approvals/${failed.body.approval_id}/approve`, { token: admin });
    const failedRec = await call(gw.url, 'GET', `/tools/calls/${failed.body.call_id}`, { token: bot });
    assert.equal(failedRec.body.status, 'error');
    assert.equal(failedRec.body.receipt, undefined);

    // the receipt is stored with the call: the same after a restart
    await gw.stop();
    gw = await startGateway({ dataDir: gw.dataDir });
    admin = (await loginAdmin(gw.url)).token;
    const again = await call(gw.url, 'GET', `/tools/calls/${direct.body.call_id}`, { token: admin });
    assert.deepEqual(again.body.receipt, direct.body.receipt);
  } finally {
    await gw.stop(true);
  }
});

test('palisade receipt verify --url against a running gateway: ok; an edited field is named from the gateway\'s record (with a token) or the call body', async () => {
  const gw = await startGateway();
  try {
    const admin = (await loginAdmin(gw.url)).token;
    const bot = await createAgent(gw.url, admin, 'bot', ['echo']);
    const res = await call(gw.url, 'POST', '/tools/call', { token: bot, body: { tool: 'echo', args: { text: 'hi' } } });
    assert.equal(res.status, 200, res.text);
    const dir = tempDir('palisade-receipt-url-');
    const write = (name: string, value: unknown): string => {
      const file = join(dir, name);
      writeFileSync(file, JSON.stringify(value));
      return file;
    };
    const receipt = res.body.receipt as Record<string, unknown>;

    const ok = await runCli(['receipt', 'verify', write('body.json', res.body), '--url', gw.url]);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.equal(ok.stdout, 'ok\n');

    // a valid-shape edit of a field the body does not vouch for: named only with the gateway's record
    const tsEdited = write('ts.json', { ...receipt, ts: '2030-01-01T00:00:00.000Z' });
    const blind = await runCli(['receipt', 'verify', tsEdited, '--url', gw.url]);
    assert.equal(blind.code, 1);
    assert.match(blind.stdout, /^invalid: sig:/);
    const named = await runCli(['receipt', 'verify', tsEdited, '--url', gw.url], { env: { PALISADE_AGENT_TOKEN: bot } });
    assert.equal(named.code, 1, named.stdout + named.stderr);
    assert.match(named.stdout, new RegExp(`^invalid: ts: edited; the signature verifies with ts = "${String(receipt['ts'])}" \\(from the gateway's record of call ${res.body.call_id}\\)`));
    const tokenFile = join(dir, 'admin.token');
    writeFileSync(tokenFile, `${admin}\n`);
    const byAdmin = await runCli(['receipt', 'verify', write('agent.json', { ...receipt, agent_id: 'eve' }), '--url', gw.url, '--token-file', tokenFile]);
    assert.match(byAdmin.stdout, /^invalid: agent_id: edited; the signature verifies with agent_id = "bot"/);

    // offline, the call body around the receipt names a forged result digest
    const forged = { ...res.body, receipt: { ...receipt, result_sha256: 'a'.repeat(64) } };
    const body = await runCli(['receipt', 'verify', write('forged.json', forged), '--url', gw.url]);
    assert.equal(body.code, 1);
    assert.match(body.stdout, /^invalid: result_sha256: edited; .*\(from the call body in /);

    // a non-loopback URL is refused before anything is sent
    const far = await runCli(['receipt', 'verify', tsEdited, '--url', 'http://192.0.2.1:8080']);
    assert.equal(far.code, 2);
  } finally {
    await gw.stop(true);
  }
});
