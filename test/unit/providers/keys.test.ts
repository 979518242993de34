import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { openDatabase } from '../../../agent-gateway/store/db.ts';
import { createKeyStore, type ProviderKeyStore } from '../../../providers/keys.ts';
import { loadMasterKey, MASTER_KEY_FILE } from '../../../providers/master-key.ts';
import { PROVIDER_MIGRATIONS } from '../../../providers/schema.ts';

const DAY = 86_400_000;
const KEY = 'sk-proj-SECRETVALUE-abcdefghijklmnop1234';
let dir: string;
let db: DatabaseSync;
let clock: number;
let store: ProviderKeyStore;
const master = Buffer.alloc(32, 7);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'palisade-keys-'));
  db = openDatabase(dir, PROVIDER_MIGRATIONS);
  clock = Date.UTC(2026, 0, 1);
  store = createKeyStore(db, master, { now: () => clock });
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a stored key is resolved before the environment variable', () => {
  assert.ok(store.putKey('openai', KEY, 30).ok);
  assert.deepEqual(store.resolveKey('openai', { OPENAI_API_KEY: 'sk-from-env-123456' }), { ok: true, key: KEY, source: 'stored' });
});

test('without a stored key the environment variable is used, else PRV_ERR_KEY_MISSING', () => {
  assert.deepEqual(store.resolveKey('anthropic', { ANTHROPIC_API_KEY: 'sk-ant-env-123456' }), { ok: true, key: 'sk-ant-env-123456', source: 'env' });
  assert.deepEqual(store.resolveKey('openrouter', {}), { ok: false, code: 'PRV_ERR_KEY_MISSING' });
  assert.deepEqual(store.resolveKey('ollama', {}), { ok: true, key: undefined, source: 'none' });
});

test('an expired stored key is refused with PRV_ERR_KEY_EXPIRED, without silently falling back to the environment', () => {
  assert.ok(store.putKey('openai', KEY, 1).ok);
  clock += 2 * DAY;
  assert.deepEqual(store.resolveKey('openai', { OPENAI_API_KEY: 'sk-from-env-123456' }), { ok: false, code: 'PRV_ERR_KEY_EXPIRED' });
  assert.equal(store.listProviders({}).find((p) => p.name === 'openai')?.status, 'expired');
});

test('the key is not stored in clear in any database file', () => {
  assert.ok(store.putKey('openai', KEY, 30).ok);
  db.exec('PRAGMA wal_checkpoint(FULL)');
  for (const f of readdirSync(dir)) {
    const bytes = readFileSync(join(dir, f));
    assert.equal(bytes.includes(Buffer.from(KEY)), false, f);
    assert.equal(bytes.includes(Buffer.from('SECRETVALUE')), false, f);
  }
});

test('listProviders returns metadata only, never the key or any part of it', () => {
  assert.ok(store.putKey('openai', KEY, 30).ok);
  const list = store.listProviders({ ANTHROPIC_API_KEY: 'sk-ant-env-secret-999' });
  const text = JSON.stringify(list);
  assert.ok(!text.includes('SECRETVALUE') && !text.includes(KEY.slice(-4)) && !text.includes('sk-ant-env'));
  const openai = list.find((p) => p.name === 'openai');
  assert.equal(openai?.status, 'stored');
  assert.equal(openai?.expiresAt, clock + 30 * DAY);
  assert.equal(list.find((p) => p.name === 'anthropic')?.status, 'env');
  assert.equal(list.find((p) => p.name === 'ollama')?.needsKey, false);
});

test('rotation switches to the new key and keeps the old one valid only for the overlap', () => {
  assert.ok(store.putKey('openai', 'sk-old-key-11111111', 30).ok);
  assert.ok(store.rotateKey('openai', 'sk-new-key-22222222', 30, 24).ok);
  assert.deepEqual(store.resolveKey('openai', {}), { ok: true, key: 'sk-new-key-22222222', source: 'stored' });
  assert.deepEqual(store.candidateKeys('openai'), ['sk-new-key-22222222', 'sk-old-key-11111111']);
  assert.equal(store.listProviders({}).find((p) => p.name === 'openai')?.previousValidUntil, clock + 24 * 3_600_000);
  clock += 25 * 3_600_000;
  assert.deepEqual(store.candidateKeys('openai'), ['sk-new-key-22222222']);
});

test('putKey replaces every earlier key immediately', () => {
  assert.ok(store.putKey('openai', 'sk-old-key-11111111', 30).ok);
  assert.ok(store.rotateKey('openai', 'sk-mid-key-22222222', 30, 24).ok);
  assert.ok(store.putKey('openai', 'sk-new-key-33333333', 30).ok);
  assert.deepEqual(store.candidateKeys('openai'), ['sk-new-key-33333333']);
});

test('keysNearExpiry lists keys expiring within the horizon', () => {
  assert.ok(store.putKey('openai', KEY, 5).ok);
  assert.ok(store.putKey('anthropic', 'sk-ant-stored-123456', 60).ok);
  assert.deepEqual(store.keysNearExpiry(7), [{ provider: 'openai', expiresAt: clock + 5 * DAY, daysLeft: 5 }]);
});

test('invalid input is refused with stable codes', () => {
  assert.equal(store.putKey('ollama', KEY, 30).ok, false);
  const unknown = store.putKey('evil', KEY, 30);
  assert.ok(!unknown.ok && unknown.code === 'PRV_ERR_UNKNOWN_PROVIDER');
  for (const [key, ttl] of [['has space key', 30], ['short', 30], [KEY, 0], [KEY, 1.5], [42, 30]] as const) {
    const out = store.putKey('openai', key, ttl);
    assert.ok(!out.ok && out.code === 'PRV_ERR_KEY_INVALID', String(key));
  }
  const rot = store.rotateKey('openai', KEY, 30, -1);
  assert.ok(!rot.ok && rot.code === 'PRV_ERR_KEY_INVALID');
});

test('a store opened with a different master key cannot read the stored key', () => {
  assert.ok(store.putKey('openai', KEY, 30).ok);
  const other = createKeyStore(db, Buffer.alloc(32, 9), { now: () => clock });
  assert.throws(() => other.resolveKey('openai', {}));
});

test('a row moved to another provider fails authentication', () => {
  assert.ok(store.putKey('openai', KEY, 30).ok);
  db.prepare("UPDATE provider_keys SET provider = 'anthropic'").run();
  assert.throws(() => store.resolveKey('anthropic', {}));
});

test('the master key file is generated 0600 once and reused; a group-readable file is refused', () => {
  const first = loadMasterKey({ dataDir: dir });
  assert.ok(first.ok && first.source === 'generated');
  assert.equal(statSync(join(dir, MASTER_KEY_FILE)).mode & 0o777, 0o600);
  const second = loadMasterKey({ dataDir: dir });
  assert.ok(second.ok && second.source === 'file' && first.ok && second.key.equals(first.key));
  chmodSync(join(dir, MASTER_KEY_FILE), 0o644);
  assert.equal(loadMasterKey({ dataDir: dir }).ok, false);
});

test('a configured master key must be 64 hex characters', () => {
  assert.equal(loadMasterKey({ dataDir: dir, configHex: 'abc' }).ok, false);
  const ok = loadMasterKey({ dataDir: dir, configHex: 'ab'.repeat(32) });
  assert.ok(ok.ok && ok.source === 'config' && ok.key.length === 32);
});
