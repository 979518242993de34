import assert from 'node:assert/strict';
import { test } from 'node:test';
import { admitPrincipal, chargeFault, EMPTY_RECORD, FaultLedger, isIdle, type PrincipalRecord } from '../../../sandbox/fault-ledger.ts';

const policy = { threshold: 5, windowMs: 60_000, cooldownMs: 60_000 };

test('five faults within 60 s trip the throttle; admission refuses with the remaining time, then admits', () => {
  let rec: PrincipalRecord = EMPTY_RECORD;
  const trips: boolean[] = [];
  for (let i = 0; i < 5; i++) {
    const c = chargeFault(rec, policy, 1_000 + i * 1_000);
    rec = c.record;
    trips.push(c.tripped);
  }
  assert.deepEqual(trips, [false, false, false, false, true]);
  assert.deepEqual(admitPrincipal(rec, 6_000), { ok: false, code: 'SBX_ERR_PRINCIPAL_THROTTLED', retryAfterMs: 59_000 });
  assert.deepEqual(admitPrincipal(rec, 65_000), { ok: true });
});

test('faults spread wider than the window never trip', () => {
  let rec: PrincipalRecord = EMPTY_RECORD;
  for (let i = 0; i < 20; i++) {
    const c = chargeFault(rec, policy, i * 15_001);
    assert.equal(c.tripped, false, `fault ${i}`);
    rec = c.record;
  }
  assert.ok(rec.faults.length <= 4);
});

test('a record with no recent fault and no block is idle', () => {
  const c = chargeFault(EMPTY_RECORD, policy, 0);
  assert.equal(isIdle(c.record, policy, 30_000), false);
  assert.equal(isIdle(c.record, policy, 60_000), true);
});

test('the ledger charges only faults (timeout, memory limit, worker crash) and keeps principals apart', () => {
  const now = 0;
  const ledger = new FaultLedger({ threshold: 2, windowMs: 1000, cooldownMs: 1000 }, { now: () => now });
  assert.equal(ledger.record('a', 'TOOL_ERR_THROWN'), undefined);
  assert.equal(ledger.record('a', 'SBX_ERR_ABORTED'), undefined);
  assert.equal(ledger.record('a', 'SBX_ERR_KILLED'), undefined);
  assert.equal(ledger.admit('a').ok, true);
  assert.equal(ledger.record('a', 'SBX_ERR_MEMORY_LIMIT'), undefined);
  assert.deepEqual(ledger.record('a', 'SBX_ERR_WORKER_CRASHED'), { principal: 'a', faults: 2, code: 'SBX_ERR_WORKER_CRASHED', blockedForMs: 1000 });
  assert.equal(ledger.admit('a').ok, false);
  assert.equal(ledger.admit('b').ok, true);
});
