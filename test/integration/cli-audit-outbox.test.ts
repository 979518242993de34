/**
 * CLI state changes reach the encrypted audit log through the sqlite outbox: at once (within a
 * drain interval) when a gateway runs, and at the next start when none does.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { call, loginAdmin, startGateway, tempDir } from '../support/gateway.ts';
import { runCli } from '../unit/cli/spawn-cli.ts';

async function auditTypes(base: string, token: string): Promise<Array<{ type: string; actor: string; data?: Record<string, unknown> }>> {
  return (await call(base, 'GET', '/admin/audit?actor=cli&limit=1000', { token })).body.entries;
}

test('palisade agent issue/revoke while a gateway runs are in the audit log within seconds', { timeout: 60_000 }, async () => {
  const gw = await startGateway();
  try {
    const admin = (await loginAdmin(gw.url)).token;
    assert.equal((await runCli(['agent', 'issue', 'outboxed', '--tools', 'echo'], { env: { PALISADE_DATA_DIR: gw.dataDir } })).code, 0);
    assert.equal((await runCli(['agent', 'revoke', 'outboxed'], { env: { PALISADE_DATA_DIR: gw.dataDir } })).code, 0);
    let entries: Awaited<ReturnType<typeof auditTypes>> = [];
    for (let i = 0; i < 50 && entries.length < 2; i++) {
      entries = await auditTypes(gw.url, admin);
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.deepEqual(entries.map((e) => e.type), ['agent.create', 'agent.delete']);
    assert.equal(entries[0]?.data?.['agent_id'], 'outboxed');
    assert.ok(!JSON.stringify(entries).includes('pal_ag_'), 'the token is never audited');
  } finally {
    await gw.stop(true);
  }
});

test('a CLI change made while no gateway runs is audited at the next start, and verify passes', { timeout: 60_000 }, async () => {
  const dataDir = tempDir();
  const first = await startGateway({ dataDir });
  await first.stop();
  const input = 'a long enough password\n';
  assert.equal((await runCli(['admin', 'create', 'offline-admin', '--password-stdin'], { env: { PALISADE_DATA_DIR: dataDir }, input })).code, 0);
  const second = await startGateway({ dataDir });
  try {
    const admin = (await loginAdmin(second.url)).token;
    const entries = await auditTypes(second.url, admin);
    assert.deepEqual(entries.map((e) => e.type), ['user.create']);
    const verify = await call(second.url, 'GET', '/admin/audit/verify', { token: admin });
    assert.equal(verify.body.ok, true);
  } finally {
    await second.stop(true);
  }
});
