import assert from 'node:assert/strict';
import { statSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadAuditKeyring, rotateAuditKey } from '../../../agent-gateway/audit/keys.ts';
import { loadSigningKey } from '../../../agent-gateway/audit/signing.ts';
import { capturingLogger, tempDataDir } from '../../support/audit-fixtures.ts';

const CONFIG_KEY = 'ab'.repeat(32);

test('without a configured key, generates audit.key 0600 in a 0700 dir with a loud warning', (t) => {
  const dataDir = join(tempDataDir(t), 'data');
  const logger = capturingLogger();
  const ring = loadAuditKeyring({ dataDir, logger });
  assert.equal(statSync(join(dataDir, 'audit.key')).mode & 0o777, 0o600);
  assert.equal(statSync(dataDir).mode & 0o777, 0o700);
  assert.equal(logger.warnings.length, 1);
  assert.match(logger.warnings[0]?.message ?? '', /PALISADE_AUDIT_KEY is not set/);
  assert.equal(ring.keys.get(ring.current)?.length, 32);
});

test('loads the same generated key on the next start (never an ephemeral key)', (t) => {
  const dataDir = tempDataDir(t);
  const first = loadAuditKeyring({ dataDir, logger: capturingLogger() });
  const logger = capturingLogger();
  const second = loadAuditKeyring({ dataDir, logger });
  assert.equal(second.current, first.current);
  assert.deepEqual(second.keys.get(second.current), first.keys.get(first.current));
  assert.equal(logger.warnings.length, 0);
});

test('a configured key is used as-is, never written to disk, with a kid stable across starts', (t) => {
  const dataDir = tempDataDir(t);
  const a = loadAuditKeyring({ dataDir, configKeyHex: CONFIG_KEY, logger: capturingLogger() });
  const b = loadAuditKeyring({ dataDir, configKeyHex: CONFIG_KEY, logger: capturingLogger() });
  assert.equal(a.current, b.current);
  assert.equal(a.keys.get(a.current)?.toString('hex'), CONFIG_KEY);
  assert.equal(existsSync(join(dataDir, 'audit.key')), false);
});

test('rejects a configured key that is not 64 hex chars with AUDIT_ERR_BAD_KEY', (t) => {
  const dataDir = tempDataDir(t);
  assert.throws(() => loadAuditKeyring({ dataDir, configKeyHex: 'xyz', logger: capturingLogger() }), { code: 'AUDIT_ERR_BAD_KEY' });
});

test('rotation adds a persisted kid that becomes current while old kids stay loadable', (t) => {
  const dataDir = tempDataDir(t);
  const logger = capturingLogger();
  const ring = loadAuditKeyring({ dataDir, configKeyHex: CONFIG_KEY, logger });
  const oldKid = ring.current;
  const newKid = rotateAuditKey(dataDir, ring, logger);
  assert.notEqual(newKid, oldKid);
  assert.equal(ring.current, newKid);
  assert.equal(statSync(join(dataDir, 'audit.key')).mode & 0o777, 0o600);
  assert.doesNotMatch(readFileSync(join(dataDir, 'audit.key'), 'utf8'), new RegExp(CONFIG_KEY));
  const reloaded = loadAuditKeyring({ dataDir, configKeyHex: CONFIG_KEY, logger });
  assert.equal(reloaded.current, newKid);
  assert.ok(reloaded.keys.has(oldKid));
  assert.deepEqual(reloaded.keys.get(newKid), ring.keys.get(newKid));
});

test('rejects a malformed key file with AUDIT_ERR_KEYFILE instead of generating a new key', async (t) => {
  const dataDir = tempDataDir(t);
  const { writeFileSync } = await import('node:fs');
  writeFileSync(join(dataDir, 'audit.key'), '{"v":1,"current":"k","keys":{"k":"zz"}}', { mode: 0o600 });
  assert.throws(() => loadAuditKeyring({ dataDir, logger: capturingLogger() }), { code: 'AUDIT_ERR_KEYFILE' });
});

test('generates the Ed25519 checkpoint key 0600 with its public key beside, and reloads it', (t) => {
  const dataDir = tempDataDir(t);
  const first = loadSigningKey(dataDir, capturingLogger());
  assert.equal(first.privateKey.asymmetricKeyType, 'ed25519');
  assert.equal(statSync(join(dataDir, 'audit-signing.key')).mode & 0o777, 0o600);
  assert.ok(existsSync(join(dataDir, 'audit-signing.pub')));
  const second = loadSigningKey(dataDir, capturingLogger());
  assert.deepEqual(second.publicKey.export({ format: 'der', type: 'spki' }), first.publicKey.export({ format: 'der', type: 'spki' }));
});
