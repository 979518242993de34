/** LoginThrottle eviction after a window restarts, and the Host check on port 80 (no port in Host). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LoginThrottle } from '../../../agent-gateway/auth/throttle.ts';
import { isAllowedHost } from '../../../agent-gateway/http/host-check.ts';

test('LoginThrottle: a window that restarts counts as new for eviction (an older idle key goes first)', () => {
  const clock = { now: 0 };
  const th = new LoginThrottle(60, () => clock.now, 2);
  const a = { key: 'a', limit: 1 };
  assert.equal(th.admit([a]).ok, true);
  clock.now = 1_000;
  assert.equal(th.admit([{ key: 'b', limit: 1 }]).ok, true);
  clock.now = 61_000; // a's window is over: a fresh one starts now
  assert.equal(th.admit([a]).ok, true);
  clock.now = 62_000;
  assert.equal(th.admit([{ key: 'c', limit: 1 }]).ok, true);
  assert.equal(th.admit([a]).ok, false, 'a (window started at 61 s) is kept; b (started at 1 s) was evicted');
  assert.equal(th.admit([{ key: 'b', limit: 1 }]).ok, true, 'b was evicted, so it starts again');
});

test('isAllowedHost: a Host without a port is accepted only for a loopback name when listening on port 80', () => {
  for (const h of ['localhost', '127.0.0.1', '[::1]', '10.1.2.3', 'localhost:80']) assert.equal(isAllowedHost(h, '10.1.2.3', 80, []), true, h);
  for (const h of ['evil.example', 'evil.example:80', '10.1.2.4', 'localhost:8080']) assert.equal(isAllowedHost(h, '10.1.2.3', 80, []), false, h);
  assert.equal(isAllowedHost('localhost', '10.1.2.3', 8080, []), false);
});
