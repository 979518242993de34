import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { sha256Json, signerFromKey } from '../../agent-gateway/receipts/receipt.ts';
import { tempDir } from '../support/gateway.ts';
import { runCli } from '../unit/cli/spawn-cli.ts';

test('palisade receipt verify: ok with the right key (exit 0); a flipped field or another key → exit 1 naming the field', async () => {
  const dir = tempDir('palisade-cli-receipt-');
  const signer = signerFromKey(generateKeyPairSync('ed25519').privateKey);
  const other = signerFromKey(generateKeyPairSync('ed25519').privateKey);
  const receipt = signer.sign({
    v: 1, call_id: 'call_1', agent_id: 'bot', chain: [], tool: 'echo', args_sha256: sha256Json('a'), result_sha256: sha256Json('b'),
    decision: 'allow', rule_id: 'default:allow', policy_version: sha256Json('c'), ts: '2026-12-02T12:00:00.000Z',
  });
  const key = join(dir, 'key.pem');
  writeFileSync(key, signer.publicKeyPem);
  const otherKey = join(dir, 'other.pem');
  writeFileSync(otherKey, other.publicKeyPem);
  const good = join(dir, 'good.json');
  writeFileSync(good, JSON.stringify({ status: 'ok', receipt }));
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, JSON.stringify({ ...receipt, args_sha256: 'zz' }));
  const flipped = join(dir, 'flipped.json');
  writeFileSync(flipped, JSON.stringify({ ...receipt, agent_id: 'eve' }));

  const ok = await runCli(['receipt', 'verify', good, '--key', key]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /^ok/);
  const shape = await runCli(['receipt', 'verify', bad, '--key', key]);
  assert.equal(shape.code, 1);
  assert.match(shape.stdout, /args_sha256/);
  const sig = await runCli(['receipt', 'verify', flipped, '--key', key]);
  assert.equal(sig.code, 1);
  assert.match(sig.stdout, /invalid: sig/);
  const foreign = await runCli(['receipt', 'verify', good, '--key', otherKey]);
  assert.equal(foreign.code, 1);
  assert.match(foreign.stdout, /invalid: kid/);
});
