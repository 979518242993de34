import { test } from 'node:test';
import assert from 'node:assert/strict';
import { band, detect, INITIAL_STATE, type DetectorState, type Observation, type Thresholds } from '../../../agent-gateway/alerts/detectors.ts';
import { RollingCounter } from '../../../agent-gateway/alerts/rolling.ts';

const T: Thresholds = { validation_error_threshold: 10, window_seconds: 60, approval_queue_threshold: 4, keyWarnMs: 7 * 86_400_000 };

/** Feeds observations in order and returns the alert types raised at each step. */
function run(observations: Observation[], now = 0): string[][] {
  let state: DetectorState = INITIAL_STATE;
  return observations.map((o) => {
    const r = detect(state, o, T, now);
    state = r.state;
    return r.alerts.map((a) => a.type);
  });
}

test('worker health alerts once per transition, not once per tick', () => {
  const w = (healthy: boolean) => ({ workers: [{ backend: 'isolate', healthy }] });
  assert.deepEqual(run([w(true), w(false), w(false), w(false), w(true), w(true), w(false)]), [
    [], ['worker.unhealthy'], [], [], ['worker.recovered'], [], ['worker.unhealthy'],
  ]);
});

test('a backend unhealthy at the first check alerts; backends are tracked separately', () => {
  assert.deepEqual(run([
    { workers: [{ backend: 'isolate', healthy: true }, { backend: 'docker', healthy: false }] },
    { workers: [{ backend: 'isolate', healthy: false }, { backend: 'docker', healthy: false }] },
  ]), [['worker.unhealthy'], ['worker.unhealthy']]);
});

test('validation errors fire at the threshold and recover only at half of it (hysteresis)', () => {
  const v = (n: number) => ({ validationErrorsInWindow: n });
  assert.deepEqual(run([v(9), v(10), v(30), v(9), v(6), v(11), v(5), v(4), v(10)]), [
    [], ['validation_errors.high'], [], [], [], [], ['validation_errors.recovered'], [], ['validation_errors.high'],
  ]);
});

test('the validation alert carries count, threshold and window', () => {
  const r = detect(INITIAL_STATE, { validationErrorsInWindow: 12 }, T, 0);
  assert.deepEqual(r.alerts, [{
    type: 'validation_errors.high', severity: 'warning', message: '12 validation errors in the last 60 s',
    details: { count: 12, threshold: 10, window_seconds: 60 },
  }]);
});

test('approval queue depth over the threshold alerts once and recovers once', () => {
  const q = (d: number) => ({ approvalQueueDepth: d });
  assert.deepEqual(run([q(3), q(4), q(5), q(3), q(2), q(2), q(4)]), [[], ['approvals.queue_high'], [], [], ['approvals.queue_recovered'], [], ['approvals.queue_high']]);
});

test('audit write failures alert once while failing and once on recovery', () => {
  const a = (n: number) => ({ auditWriteFailures: n });
  assert.deepEqual(run([a(0), a(2), a(1), a(0), a(0), a(3)]), [[], ['audit.write_failed'], [], ['audit.recovered'], [], ['audit.write_failed']]);
});

test('provider keys near expiry alert once as expiring and once more when expired', () => {
  const day = 86_400_000;
  let state: DetectorState = INITIAL_STATE;
  const step = (expires: number, now: number) => {
    const r = detect(state, { providerKeys: [{ provider: 'openai', expires_at: expires }] }, T, now);
    state = r.state;
    return r.alerts.map((a) => a.type);
  };
  const exp = 30 * day;
  assert.deepEqual(step(exp, 0), []);
  assert.deepEqual(step(exp, 23 * day - 1), []);
  assert.deepEqual(step(exp, 23 * day), ['provider_key.expiring']);
  assert.deepEqual(step(exp, 25 * day), []);
  assert.deepEqual(step(exp, 30 * day), ['provider_key.expired']);
  assert.deepEqual(step(exp, 31 * day), []);
  assert.deepEqual(step(exp + 365 * day, 31 * day), [], 'rotated key: back to ok without an alert');
  assert.deepEqual(step(exp + 365 * day, (exp + 365 * day) - day), ['provider_key.expiring']);
});

test('an observation without a field leaves that detector untouched', () => {
  assert.deepEqual(run([{ approvalQueueDepth: 9 }, {}, { approvalQueueDepth: 9 }]), [['approvals.queue_high'], [], []]);
});

test('band fires at the threshold and clears at floor(threshold / 2)', () => {
  assert.equal(band(false, 9, 10), false);
  assert.equal(band(false, 10, 10), true);
  assert.equal(band(true, 6, 10), true);
  assert.equal(band(true, 5, 10), false);
  assert.equal(band(true, 1, 1), true);
  assert.equal(band(true, 0, 1), false);
});

test('rolling counter counts the last window only', () => {
  let now = 0;
  const c = new RollingCounter(() => now);
  c.add();
  c.add(2);
  now = 30_000;
  c.add();
  assert.equal(c.count(60), 4);
  now = 60_000;
  assert.equal(c.count(60), 1, 'events from second 0 have left a 60 s window');
  now = 100_000;
  assert.equal(c.count(60), 0);
});
