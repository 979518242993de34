/**
 * Migration upstream-003 (issue 16 item 2): a store made before it keeps every server, pin and
 * override, then accepts network "egress-allowlist" (the old CHECK allowed "none" only), still
 * refuses any other value, and deleting a server still cascades to its pins and overrides.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { DatabaseSync } from 'node:sqlite';
import { test } from 'node:test';
import { applyMigrations } from '../../../agent-gateway/store/db.ts';
import { UPSTREAM_MIGRATIONS, UpstreamStore } from '../../../agent-gateway/upstream/store.ts';

const rec = (name: string, network: 'none' | 'egress-allowlist') => ({
  name, package: 'p', version: '1.0.0', args: [], mounts: [], network, createdBy: 'admin:a', createdAt: 1,
});
const def = { name: 'echo', description: 'Echo.', inputSchema: { type: 'object' } } as never;

test('upstream-003 keeps the rows of a store made before it and lets it hold egress-allowlist servers', () => {
  const db = new DatabaseSync(':memory:');
  db.exec('PRAGMA foreign_keys = ON');
  applyMigrations(db, UPSTREAM_MIGRATIONS.slice(0, 2));
  const key = randomBytes(32);
  const before = new UpstreamStore(db, key);
  before.insert(rec('old', 'none'), { TOKEN: 'sealed-value' }, [{ tool: 'echo', sha256: 'a'.repeat(64), definition: def }], 2,
    new Map([['echo', { risk: 'low' }]]));
  assert.throws(() => before.insert(rec('net', 'egress-allowlist'), {}, [], 2), /CHECK constraint failed/, 'the old schema refuses it');

  assert.deepEqual(applyMigrations(db, UPSTREAM_MIGRATIONS), ['upstream-003-network-egress-allowlist']);
  const store = new UpstreamStore(db, key);
  assert.deepEqual(store.get('old'), { ...rec('old', 'none'), envNames: ['TOKEN'] });
  assert.deepEqual(store.env('old'), { TOKEN: 'sealed-value' }, 'sealed env still opens (same rows)');
  assert.deepEqual([...store.pins('old').keys()], ['echo']);
  assert.deepEqual(store.overrides('old').get('echo'), { risk: 'low' });

  store.insert(rec('net', 'egress-allowlist'), {}, [], 3);
  assert.equal(store.get('net')?.network, 'egress-allowlist');
  assert.throws(() => db.prepare("UPDATE mcp_servers SET network = 'host' WHERE name = 'net'").run(), /CHECK constraint failed/);
  assert.equal(store.delete('old'), true);
  assert.equal(Number((db.prepare('SELECT count(*) AS n FROM mcp_pins').get() as { n: number }).n), 0, 'pins cascade');
  assert.equal(Number((db.prepare('SELECT count(*) AS n FROM mcp_overrides').get() as { n: number }).n), 0, 'overrides cascade');
  const fk = db.prepare('PRAGMA foreign_key_list(mcp_pins)').all() as Array<{ table: string }>;
  assert.deepEqual(fk.map((r) => r.table), ['mcp_servers']);
  db.close();
});
