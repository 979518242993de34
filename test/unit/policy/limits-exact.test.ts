/**
 * Rate limiter and circuit breaker (policy/rate-limit.ts, circuit-breaker.ts), exact values:
 * the remaining count, the configuration refusals with their messages, the window boundary,
 * denials while paused, and which state the bounded maps forget first (full or stale ones,
 * then the least recently used, never a paused agent).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AgentCircuitBreaker, recordDenial, CLOSED } from '../../../agent-gateway/policy/circuit-breaker.ts';
import { AgentRateLimiter, takeToken } from '../../../agent-gateway/policy/rate-limit.ts';

test('takeToken: remaining counts down from capacity - 1; a refusal keeps the refilled fraction', () => {
  const cfg = { capacity: 3, refillPerSecond: 1 };
  let b = takeToken(undefined, 0, cfg);
  assert.deepEqual(b, { bucket: { tokens: 2, updatedMs: 0 }, decision: { ok: true, remaining: 2 } });
  b = takeToken(b.bucket, 0, cfg);
  assert.deepEqual(b.decision, { ok: true, remaining: 1 });
  b = takeToken(b.bucket, 0, cfg);
  assert.deepEqual(b.decision, { ok: true, remaining: 0 });
  b = takeToken(b.bucket, 500, cfg);
  assert.deepEqual(b, { bucket: { tokens: 0.5, updatedMs: 500 }, decision: { ok: false, code: 'GW_ERR_RATE_LIMITED', retryAfterSeconds: 1 } });
});

test('rate limiter configuration refusals name the bad value', () => {
  for (const capacity of [0, 1.5, Number.NaN]) {
    assert.throws(() => new AgentRateLimiter({ capacity, refillPerSecond: 1 }), { name: 'RangeError', message: 'capacity must be an integer >= 1' }, String(capacity));
  }
  for (const refillPerSecond of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
    assert.throws(() => new AgentRateLimiter({ capacity: 1, refillPerSecond }), { name: 'RangeError', message: 'refillPerSecond must be > 0' }, String(refillPerSecond));
  }
});

test('rate limiter eviction: using a bucket makes it the most recent; exactly one bucket goes when one is over', () => {
  const rl = new AgentRateLimiter({ capacity: 1, refillPerSecond: 0.001 }, { now: () => 0, maxAgents: 2 });
  rl.take('a');
  rl.take('b');
  rl.take('a');
  rl.take('c');
  assert.equal(rl.take('a').ok, false, 'a was used after b: it is kept');
  assert.equal(rl.take('b').ok, true, 'b was the least recently used: forgotten');
  const two = new AgentRateLimiter({ capacity: 1, refillPerSecond: 0.001 }, { now: () => 0, maxAgents: 2 });
  two.take('a');
  two.take('b');
  two.take('c');
  assert.equal(two.take('b').ok, false, 'only a was dropped; b keeps its empty bucket');
});

test('rate limiter eviction forgets a refilled (full) bucket before a draining one, even a less recent one', () => {
  let now = 1000;
  const rl = new AgentRateLimiter({ capacity: 5, refillPerSecond: 2 }, { now: () => now, maxAgents: 2 });
  for (let i = 0; i < 5; i += 1) rl.take('a'); // a: 0 tokens at 1000 (draining)
  rl.take('b'); // b: 4 tokens at 1000, full again at 1500
  now = 1500;
  rl.take('c'); // over the cap: b is full and goes, a (older) stays
  assert.deepEqual(rl.take('a'), { ok: true, remaining: 0 }, 'a kept its bucket: one token refilled in 500 ms');
  assert.equal(rl.take('a').ok, false);
});

test('circuit breaker configuration refusals name the bad value', () => {
  for (const threshold of [0, 1.5, Number.NaN]) {
    assert.throws(() => new AgentCircuitBreaker({ threshold, windowMs: 1, cooldownMs: 1 }), { name: 'RangeError', message: 'threshold must be an integer >= 1' }, String(threshold));
  }
  for (const [windowMs, cooldownMs] of [[0, 1], [1, 0], [Number.NaN, 1], [1, Number.NaN], [-1, 1]] as const) {
    assert.throws(() => new AgentCircuitBreaker({ threshold: 1, windowMs, cooldownMs }), { name: 'RangeError', message: 'windowMs and cooldownMs must be > 0' }, `${windowMs} ${cooldownMs}`);
  }
  assert.doesNotThrow(() => new AgentCircuitBreaker({ threshold: 1, windowMs: 1, cooldownMs: 1 }));
});

test('a denial exactly one window old no longer counts', () => {
  const cfg = { threshold: 2, windowMs: 1000, cooldownMs: 5000 };
  const first = recordDenial(CLOSED, 0, cfg);
  assert.deepEqual(recordDenial(first.state, 1000, cfg), { state: { denials: [1000], pausedUntil: 0 }, tripped: false });
  assert.deepEqual(recordDenial(first.state, 999, cfg), { state: { denials: [], pausedUntil: 5999 }, tripped: true });
});

test('a denial while paused leaves the pause as it is', () => {
  let now = 0;
  const cb = new AgentCircuitBreaker({ threshold: 2, windowMs: 10_000, cooldownMs: 60_000 }, { now: () => now });
  cb.recordDenial('a');
  assert.deepEqual(cb.recordDenial('a'), { tripped: true, pausedUntil: 60_000 });
  now = 30_000;
  assert.deepEqual(cb.recordDenial('a'), { tripped: false, pausedUntil: 60_000 });
  assert.deepEqual(cb.recordDenial('a'), { tripped: false, pausedUntil: 60_000 }, 'not re-tripped either');
  assert.deepEqual(cb.check('a'), { ok: false, code: 'GW_ERR_AGENT_PAUSED', pausedUntil: 60_000, retryAfterSeconds: 30 });
});

test('circuit breaker map: over the cap the least recently denied agent is forgotten, exactly one', () => {
  let now = 0;
  const cb = new AgentCircuitBreaker({ threshold: 3, windowMs: 10_000, cooldownMs: 60_000 }, { now: () => now, maxAgents: 2 });
  cb.recordDenial('a');
  cb.recordDenial('b');
  now = 1;
  cb.recordDenial('a'); // a is now more recent than b
  cb.recordDenial('c'); // over the cap: b goes
  assert.deepEqual(cb.recordDenial('a'), { tripped: true, pausedUntil: 60_001 }, 'a kept its two denials');
  assert.equal(cb.recordDenial('b').tripped, false, 'b starts again at one');
  assert.equal(cb.recordDenial('b').tripped, false, 'two');
});

test('circuit breaker map: a stale agent is forgotten before a more recent one; a paused agent never', () => {
  let now = 0;
  const cb = new AgentCircuitBreaker({ threshold: 2, windowMs: 10_000, cooldownMs: 1000 }, { now: () => now, maxAgents: 2 });
  cb.recordDenial('s');
  cb.recordDenial('s'); // s paused until 1000, no denials left
  now = 500;
  cb.recordDenial('f'); // f: one denial at 500
  now = 600;
  cb.recordDenial('s'); // while paused: unchanged, but now the most recent
  now = 1000;
  cb.recordDenial('n'); // over the cap: s is stale (its pause ends now, no denial in the window) and goes, not f
  assert.deepEqual(cb.recordDenial('f'), { tripped: true, pausedUntil: 2000 }, 'f kept its denial');

  const held = new AgentCircuitBreaker({ threshold: 1, windowMs: 10_000, cooldownMs: 60_000 }, { now: () => now, maxAgents: 1 });
  held.recordDenial('p'); // paused until 62_000
  held.recordDenial('q'); // q paused too: both kept, the map may exceed its cap rather than unpause
  held.recordDenial('r');
  assert.equal(held.check('p').ok, false);
  assert.equal(held.check('q').ok, false);
  assert.equal(held.check('r').ok, false);
});

test('circuit breaker map: an agent with an older denial and a fresh one is not stale', () => {
  let now = 0;
  const cb = new AgentCircuitBreaker({ threshold: 3, windowMs: 10_000, cooldownMs: 60_000 }, { now: () => now, maxAgents: 2 });
  cb.recordDenial('x'); // x: [0]
  now = 5000;
  cb.recordDenial('y'); // y: [5000]
  now = 9000;
  cb.recordDenial('x'); // x: [0, 9000], now after y
  now = 10_000;
  cb.recordDenial('z'); // over the cap: x's first denial is exactly a window old, its second is not: y (least recent) goes
  assert.deepEqual(cb.recordDenial('x'), { tripped: false, pausedUntil: 0 }, 'x kept 9000: two in the window');
  assert.deepEqual(cb.recordDenial('x'), { tripped: true, pausedUntil: 70_000 }, 'three');
});

test('rate limiter eviction judges a bucket full by its own agent limit, not the default one', () => {
  const own = { capacity: 10, refillPerSecond: 0.001 };
  const rl = new AgentRateLimiter({ capacity: 2, refillPerSecond: 0.001 }, { now: () => 0, maxAgents: 2, limitFor: (id) => (id === 'x' ? own : undefined) });
  rl.take('z');
  rl.take('z'); // z: empty under the default limit
  for (let i = 0; i < 8; i += 1) rl.take('x'); // x: 2 of its own 10 left: draining, though 2 is the default capacity
  rl.take('y'); // over the cap: nothing is full, so the least recent (z) goes
  assert.deepEqual([rl.take('x'), rl.take('x'), rl.take('x')].map((d) => d.ok), [true, true, false], 'x kept its draining bucket');
  assert.equal(rl.take('z').ok, true, 'z was forgotten');
});
