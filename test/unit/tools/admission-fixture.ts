// The admission function's real dependencies over a temporary sqlite data dir, for the unit
// tests of admit() and of session governance: the built-in tools, a stored policy document,
// the kill switch, a breaker and a rate limiter on an injected clock, and optionally
// governance state. Removed after the test.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { BUILTIN_ACTIONS_DIR, readToolDir } from '../../../sandbox/actions/load.ts';
import { AgentCircuitBreaker } from '../../../agent-gateway/policy/circuit-breaker.ts';
import { KillSwitchStore } from '../../../agent-gateway/policy/kill-switch.ts';
import { AgentRateLimiter } from '../../../agent-gateway/policy/rate-limit.ts';
import { POLICY_MIGRATIONS } from '../../../agent-gateway/policy/schema.ts';
import { PolicyStore } from '../../../agent-gateway/policy/store.ts';
import { validatePolicy } from '../../../agent-gateway/policy/validate.ts';
import { policyHash } from '../../../agent-gateway/policy/version.ts';
import { openDatabase, type Migration } from '../../../agent-gateway/store/db.ts';
import type { AdmissionDeps } from '../../../agent-gateway/tools/admission.ts';
import { buildRegistry, type ToolRegistry } from '../../../agent-gateway/tools/registry.ts';

export interface AdmissionFixtureOptions {
  /** the policy document (raw, validated here) */
  readonly policy: unknown;
  /** default: the policy tables only */
  readonly migrations?: readonly Migration[];
  /** the clock of the breaker, the rate limiter and admit (absent: admit uses Date.now, the limiters 0) */
  readonly now?: number;
  readonly breaker: { readonly threshold: number; readonly windowMs: number; readonly cooldownMs: number };
  readonly rate: { readonly capacity: number; readonly refillPerSecond: number };
  /** session governance state, given the open database */
  readonly governance?: (db: DatabaseSync) => NonNullable<AdmissionDeps['governance']>;
}

export function admissionFixture(t: { after: (fn: () => void) => void }, o: AdmissionFixtureOptions):
  { deps: AdmissionDeps; db: DatabaseSync; killSwitch: KillSwitchStore; registry: ToolRegistry; version: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'palisade-admission-'));
  const db = openDatabase(dir, o.migrations ?? POLICY_MIGRATIONS);
  t.after(() => {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const built = buildRegistry(readToolDir(BUILTIN_ACTIONS_DIR));
  assert.ok(built.ok);
  const policy = new PolicyStore(db);
  const doc = validatePolicy(o.policy);
  assert.ok(doc.ok, JSON.stringify(doc));
  policy.put(doc.doc, 'admin:a');
  const clock = { now: () => o.now ?? 0 };
  const killSwitch = new KillSwitchStore(db);
  const deps: AdmissionDeps = {
    registry: built.registry, policy, killSwitch,
    breaker: new AgentCircuitBreaker(o.breaker, clock),
    rateLimiter: new AgentRateLimiter(o.rate, clock),
    ...(o.governance === undefined ? {} : { governance: o.governance(db) }),
    ...(o.now === undefined ? {} : { now: clock.now }),
  };
  return { deps, db, killSwitch, registry: built.registry, version: policyHash(doc.doc) };
}
