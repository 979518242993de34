import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AgentRateLimiter } from '../../../agent-gateway/policy/rate-limit.ts';
import { AgentCircuitBreaker } from '../../../agent-gateway/policy/circuit-breaker.ts';

test('rate limiter allows a burst of capacity, then refuses with GW_ERR_RATE_LIMITED and a Retry-After', () => {
  let now = 0;
  const rl = new AgentRateLimiter({ capacity: 3, refillPerSecond: 0.5 }, { now: () => now });
  assert.deepEqual([rl.take('a'), rl.take('a'), rl.take('a')].map((d) => d.ok), [true, true, true]);
  assert.deepEqual(rl.take('a'), { ok: false, code: 'GW_ERR_RATE_LIMITED', retryAfterSeconds: 2 });
  now = 1000;
  assert.deepEqual(rl.take('a'), { ok: false, code: 'GW_ERR_RATE_LIMITED', retryAfterSeconds: 1 });
  now = 2000;
  assert.equal(rl.take('a').ok, true);
  assert.equal(rl.take('a').ok, false);
});

test('rate limiter buckets are per agent', () => {
  const rl = new AgentRateLimiter({ capacity: 1, refillPerSecond: 1 }, { now: () => 0 });
  assert.equal(rl.take('a').ok, true);
  assert.equal(rl.take('a').ok, false);
  assert.equal(rl.take('b').ok, true);
});

test('rate limiter refills no higher than capacity after a long idle time', () => {
  let now = 0;
  const rl = new AgentRateLimiter({ capacity: 2, refillPerSecond: 10 }, { now: () => now });
  rl.take('a');
  now = 3_600_000;
  assert.equal(rl.take('a').ok, true);
  assert.equal(rl.take('a').ok, true);
  assert.equal(rl.take('a').ok, false);
});

test('rate limiter keeps at most maxAgents buckets and a forgotten agent gets a full bucket', () => {
  const rl = new AgentRateLimiter({ capacity: 1, refillPerSecond: 0.001 }, { now: () => 0, maxAgents: 2 });
  rl.take('a');
  rl.take('b');
  rl.take('c');
  assert.equal(rl.take('c').ok, false);
  assert.equal(rl.take('a').ok, true, 'a was evicted as least recently used');
});

test('rate limiter rejects a nonsensical configuration', () => {
  assert.throws(() => new AgentRateLimiter({ capacity: 0, refillPerSecond: 1 }), RangeError);
  assert.throws(() => new AgentRateLimiter({ capacity: 1, refillPerSecond: 0 }), RangeError);
});

test('circuit breaker pauses an agent after N denials within the window, for the cool-down', () => {
  let now = 0;
  const cb = new AgentCircuitBreaker({ threshold: 3, windowMs: 10_000, cooldownMs: 60_000 }, { now: () => now });
  assert.deepEqual(cb.recordDenial('a'), { tripped: false, pausedUntil: 0 });
  now = 1000;
  cb.recordDenial('a');
  now = 2000;
  assert.deepEqual(cb.recordDenial('a'), { tripped: true, pausedUntil: 62_000 });
  assert.deepEqual(cb.check('a'), { ok: false, code: 'GW_ERR_AGENT_PAUSED', pausedUntil: 62_000, retryAfterSeconds: 60 });
  assert.deepEqual(cb.check('b'), { ok: true });
  assert.equal(cb.recordDenial('a').tripped, false, 'denials while paused do not re-trip');
  now = 62_000;
  assert.deepEqual(cb.check('a'), { ok: true });
  assert.equal(cb.recordDenial('a').tripped, false, 'the count starts again after the cool-down');
});

test('circuit breaker forgets denials older than the window', () => {
  let now = 0;
  const cb = new AgentCircuitBreaker({ threshold: 2, windowMs: 1000, cooldownMs: 5000 }, { now: () => now });
  cb.recordDenial('a');
  now = 1500;
  assert.equal(cb.recordDenial('a').tripped, false);
  now = 1600;
  assert.equal(cb.recordDenial('a').tripped, true);
});

test('circuit breaker reset closes it for that agent', () => {
  const cb = new AgentCircuitBreaker({ threshold: 1, windowMs: 1000, cooldownMs: 5000 }, { now: () => 0 });
  cb.recordDenial('a');
  assert.equal(cb.check('a').ok, false);
  cb.reset('a');
  assert.equal(cb.check('a').ok, true);
});
