/**
 * Issue 23: resolveKey is cached between writes (the chat path resolves a key on every
 * request), and the cache never serves a stale answer: a put, a rotation or a delete is seen at
 * once, and expiry / the rotation overlap are still decided against the clock on every call.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../../agent-gateway/store/db.ts';
import { createKeyStore } from '../../../providers/keys.ts';
import { PROVIDER_MIGRATIONS } from '../../../providers/schema.ts';

const DAY = 86_400_000;

test('cached key resolution follows every write and the clock', () => {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-keys-cache-'));
  const db = openDatabase(dir, PROVIDER_MIGRATIONS);
  let clock = 1_000_000_000_000;
  const store = createKeyStore(db, randomBytes(32), { now: () => clock });
  try {
    assert.deepEqual(store.resolveKey('openai', {}), { ok: false, code: 'PRV_ERR_KEY_MISSING' });
    assert.ok(store.putKey('openai', 'sk-first-000000001', 1).ok);
    const first = store.resolveKey('openai', {});
    assert.ok(first.ok && first.key === 'sk-first-000000001');
    assert.ok(store.putKey('openai', 'sk-second-00000002', 1).ok);
    const second = store.resolveKey('openai', {});
    assert.ok(second.ok && second.key === 'sk-second-00000002', 'a put replaces the cached key');
    assert.ok(store.rotateKey('openai', 'sk-third-000000003', 1, 2).ok);
    const third = store.resolveKey('openai', {});
    assert.ok(third.ok && third.key === 'sk-third-000000003', 'a rotation is seen at once');
    clock += 1.5 * DAY; // past the new key's expiry, past the overlap
    assert.deepEqual(store.resolveKey('openai', {}), { ok: false, code: 'PRV_ERR_KEY_EXPIRED' }, 'expiry is decided on each call, not cached');
    assert.equal(store.deleteKey('openai'), 2);
    assert.deepEqual(store.resolveKey('openai', {}), { ok: false, code: 'PRV_ERR_KEY_MISSING' }, 'a delete is seen at once');
    const env = store.resolveKey('openai', { OPENAI_API_KEY: 'sk-from-env-0000004' });
    assert.ok(env.ok && env.key === 'sk-from-env-0000004');
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
