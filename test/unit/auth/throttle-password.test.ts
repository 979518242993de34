// Login throttling (every bucket under its limit, counted together, refunded on success, fixed
// windows, bounded map) and password hashing (PBKDF2 with salt, NFC, fail closed on a foreign
// algorithm or a truncated hash, the dummy hash for unknown users).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pbkdf2Sync } from 'node:crypto';
import { decideAdmission, LoginThrottle } from '../../../agent-gateway/auth/throttle.ts';
import { dummyPassword, hashPassword, pbkdf2Derivations, verifyPassword, type StoredPassword } from '../../../agent-gateway/auth/password.ts';

test('decideAdmission: the first exhausted bucket in order, with a Retry-After of at least one second', () => {
  const windows = new Map([['u', { count: 3, resetAt: 10_500 }], ['g', { count: 9, resetAt: 70_000 }]]);
  assert.deepEqual(decideAdmission([{ key: 'u', limit: 3 }, { key: 'g', limit: 5 }], windows, 10_000), { ok: false, key: 'u', retryAfterSeconds: 1 });
  assert.deepEqual(decideAdmission([{ key: 'g', limit: 5 }, { key: 'u', limit: 3 }], windows, 10_000), { ok: false, key: 'g', retryAfterSeconds: 60 });
  assert.deepEqual(decideAdmission([{ key: 'g', limit: 5 }], windows, 10_001), { ok: false, key: 'g', retryAfterSeconds: 60 }, 'ceil of 59.999 s');
  assert.deepEqual(decideAdmission([{ key: 'u', limit: 4 }, { key: 'x', limit: 1 }], windows, 10_000), { ok: true, keys: ['u', 'x'] }, 'under the limit; no window yet');
  assert.deepEqual(decideAdmission([{ key: 'u', limit: 3 }], windows, 10_500), { ok: true, keys: ['u'] }, 'the window ended exactly now');
  assert.deepEqual(decideAdmission([], windows, 0), { ok: true, keys: [] });
});

test('LoginThrottle: counts in every bucket at once, refunds a success, resets per fixed window', () => {
  const clock = { now: 0 };
  const th = new LoginThrottle(60, () => clock.now);
  const user = { key: 'user:alice', limit: 2 };
  const global = { key: 'global', limit: 3 };
  assert.deepEqual(th.admit([user, global]), { ok: true, keys: ['user:alice', 'global'] });
  assert.equal(th.admit([user, global]).ok, true);
  assert.deepEqual(th.admit([user, global]), { ok: false, key: 'user:alice', retryAfterSeconds: 60 });
  assert.equal(th.admit([{ key: 'user:bob', limit: 2 }, global]).ok, true, 'a refused attempt was not counted in global');
  assert.deepEqual(th.admit([{ key: 'user:carol', limit: 2 }, global]), { ok: false, key: 'global', retryAfterSeconds: 60 });
  th.refund(['global']);
  assert.equal(th.admit([{ key: 'user:carol', limit: 2 }, global]).ok, true, 'a refund frees one attempt');
  th.refund(['user:alice']);
  th.refund(['user:alice']);
  th.refund(['user:alice']);
  th.refund(['nobody']);
  assert.equal(th.admit([user]).ok, true);
  assert.equal(th.admit([user]).ok, true);
  assert.equal(th.admit([user]).ok, false, 'refunds never go below zero');
  clock.now = 59_999;
  assert.deepEqual(th.admit([user]), { ok: false, key: 'user:alice', retryAfterSeconds: 1 });
  clock.now = 60_000;
  assert.equal(th.admit([user]).ok, true, 'a new window');
  assert.equal(th.admit([user]).ok, true);
  assert.deepEqual(th.admit([user]), { ok: false, key: 'user:alice', retryAfterSeconds: 60 }, 'the new window started at 60 000');
  clock.now = 130_000;
  th.refund(['user:alice']);
  assert.equal(th.admit([user]).ok, true, 'a refund in an ended window changes nothing');
  assert.equal(th.admit([user]).ok, true);
  assert.equal(th.admit([user]).ok, false);
});

test('LoginThrottle: the map is bounded, the oldest window evicted first', () => {
  const clock = { now: 0 };
  const th = new LoginThrottle(60, () => clock.now, 2);
  const a = { key: 'a', limit: 1 };
  assert.equal(th.admit([a]).ok, true);
  assert.equal(th.admit([a]).ok, false);
  clock.now = 1;
  assert.equal(th.admit([{ key: 'b', limit: 1 }]).ok, true);
  assert.equal(th.admit([a]).ok, false, 'two keys: a is kept');
  clock.now = 2;
  assert.equal(th.admit([{ key: 'c', limit: 1 }]).ok, true);
  assert.equal(th.admit([{ key: 'b', limit: 1 }]).ok, false, 'b is kept');
  assert.equal(th.admit([a]).ok, true, 'a, the oldest, was evicted');
});

test('hashPassword / verifyPassword: salted PBKDF2-SHA256, NFC-normalised, fail closed on foreign or damaged records', async () => {
  const before = pbkdf2Derivations();
  const s = await hashPassword('correct horse', 1000);
  assert.equal(s.algo, 'pbkdf2-sha256');
  assert.equal(s.iterations, 1000);
  assert.equal(Buffer.from(s.salt, 'base64').length, 16);
  assert.equal(Buffer.from(s.hash, 'base64').length, 32);
  assert.equal(s.hash, pbkdf2Sync('correct horse', Buffer.from(s.salt, 'base64'), 1000, 32, 'sha256').toString('base64'), 'the documented derivation');
  const t = await hashPassword('correct horse', 1000);
  assert.notEqual(t.salt, s.salt);
  assert.notEqual(t.hash, s.hash);
  assert.equal(await verifyPassword('correct horse', s), true);
  assert.equal(await verifyPassword('correct horsf', s), false);
  assert.equal(await verifyPassword('', s), false);
  assert.equal(await verifyPassword('correct horse', { ...s, iterations: 1001 }), false);
  assert.equal(await verifyPassword('correct horse', { ...s, algo: 'md5' } as unknown as StoredPassword), false);
  const short = Buffer.from(s.hash, 'base64').subarray(0, 16).toString('base64');
  assert.equal(await verifyPassword('correct horse', { ...s, hash: short }), true, 'a stored hash length decides the derived length');
  assert.equal(await verifyPassword('correct horse', { ...s, hash: '' }), false, 'an empty stored hash never matches');
  const composed = await hashPassword('caf\u00e9', 1000);
  assert.equal(await verifyPassword('cafe\u0301', composed), true, 'NFC: composed and decomposed are one password');
  assert.equal(pbkdf2Derivations() - before, 10, 'each hash and each verification of a pbkdf2 record is one derivation; a foreign algo none');
});

test('dummyPassword: one hash, made once, that no password verifies', async () => {
  const a = await dummyPassword(1000);
  const b = await dummyPassword(1000);
  assert.equal(a, b);
  assert.equal(a.algo, 'pbkdf2-sha256');
  assert.equal(await verifyPassword('', a), false);
});
