import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DatabaseSync } from 'node:sqlite';
import { call, createAgent, loginAdmin, startGateway, tempDir } from '../support/gateway.ts';

test('users, revocations and agent deletions survive a restart on the same data dir', async () => {
  const dataDir = tempDir();
  const first = await startGateway({ dataDir });
  const admin = await loginAdmin(first.url);
  await call(first.url, 'POST', '/admin/users', { token: admin.token, body: { username: 'frank', password: 'frank password', role: 'user' } });
  const frank = await loginAdmin(first.url, 'frank password', 'frank');
  const keep = await loginAdmin(first.url);
  await call(first.url, 'POST', '/admin/revoke', { token: admin.token, body: { token: frank.token } });
  await createAgent(first.url, admin.token, 'gone', ['echo']);
  await call(first.url, 'DELETE', '/admin/agents/gone', { token: admin.token });
  await first.stop();

  const second = await startGateway({ dataDir });
  try {
    assert.equal((await call(second.url, 'GET', '/admin/users', { token: keep.token })).status, 200, 'a live session survives');
    assert.equal((await call(second.url, 'GET', '/admin/users', { token: frank.token })).status, 401, 'a revoked session stays revoked');
    assert.equal((await call(second.url, 'POST', '/admin/refresh', { body: { refresh_token: frank.refresh } })).status, 401);
    await loginAdmin(second.url, 'frank password', 'frank');
    const agents = await call(second.url, 'GET', '/admin/agents', { token: keep.token });
    assert.deepEqual(agents.body.agents, []);
  } finally {
    await second.stop(true);
  }
});

test('the data dir is 0700 and the database files 0600; passwords are stored as PBKDF2 600,000 by default', async () => {
  const dataDir = tempDir();
  const gw = await startGateway({ dataDir, iterations: 600_000 });
  try {
    await loginAdmin(gw.url);
    assert.equal(statSync(dataDir).mode & 0o777, 0o700);
    assert.equal(statSync(join(dataDir, 'palisade.db')).mode & 0o777, 0o600);
    const db = new DatabaseSync(join(dataDir, 'palisade.db'), { readOnly: true });
    const row = db.prepare('SELECT pw_algo, pw_iterations, pw_salt, pw_hash FROM users WHERE username = ?').get('admin');
    db.close();
    assert.equal(row?.['pw_algo'], 'pbkdf2-sha256');
    assert.equal(row?.['pw_iterations'], 600_000);
    assert.equal(Buffer.from(String(row?.['pw_salt']), 'base64').length, 16);
    assert.equal(gw.config.auth.pbkdf2Iterations, 600_000);
  } finally {
    await gw.stop(true);
  }
});

test('tokens are stored only as SHA-256 hashes', async () => {
  const dataDir = tempDir();
  const gw = await startGateway({ dataDir });
  try {
    const { token, refresh } = await loginAdmin(gw.url);
    const db = new DatabaseSync(join(dataDir, 'palisade.db'), { readOnly: true });
    const dump = JSON.stringify(db.prepare('SELECT * FROM sessions').all());
    db.close();
    assert.ok(!dump.includes(token) && !dump.includes(refresh));
    assert.ok(!dump.includes(token.slice(7)));
  } finally {
    await gw.stop(true);
  }
});

test('a queued approval and an active kill switch survive a restart; the approval then runs', { timeout: 60_000 }, async () => {
  const dataDir = tempDir();
  const first = await startGateway({ dataDir });
  const admin = await loginAdmin(first.url);
  await call(first.url, 'POST', '/admin/users', { token: admin.token, body: { username: 'approver', password: 'approver password', role: 'admin' } });
  const agent = await createAgent(first.url, admin.token, 'restart-bot', ['js.eval']);
  const queued = await call(first.url, 'POST', '/tools/call', { token: agent, body: { tool: 'js.eval', args: { code: 'return 6 * 7' } } });
  assert.equal(queued.status, 202);
  await call(first.url, 'POST', '/admin/kill-switch', { token: admin.token, body: { reason: 'maintenance' } });
  await first.stop();

  const second = await startGateway({ dataDir });
  try {
    const approver = (await loginAdmin(second.url, 'approver password', 'approver')).token;
    const ks = await call(second.url, 'GET', '/admin/kill-switch', { token: approver });
    assert.equal(ks.body.active, true);
    assert.equal(ks.body.reason, 'maintenance');
    assert.equal((await call(second.url, 'POST', `/approvals/${queued.body.approval_id}/approve`, { token: approver })).status, 503);
    await call(second.url, 'DELETE', '/admin/kill-switch', { token: approver });
    const item = await call(second.url, 'GET', `/approvals/${queued.body.approval_id}`, { token: approver });
    assert.equal(item.body.status, 'pending');
    const ok = await call(second.url, 'POST', `/approvals/${queued.body.approval_id}/approve`, { token: approver });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.call.result, 42);
    const rec = await call(second.url, 'GET', `/tools/calls/${queued.body.call_id}`, { token: agent });
    assert.equal(rec.body.status, 'ok');
  } finally {
    await second.stop(true);
  }
});
