import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isSecretKey, redactArgs } from '../../../agent-gateway/tools/redact-args.ts';

test('secret-ish keys are redacted whole, at any depth: password, pwd, pass, secret, token, api_key, authorization…', () => {
  for (const k of ['password', 'pwd', 'pass', 'Passwd', 'secret', 'client_secret', 'token', 'access_token', 'api_key', 'apiKey', 'Authorization', 'cookie', 'session_id', 'private_key', 'cvv', 'card_number']) {
    assert.equal(isSecretKey(k), true, k);
    assert.deepEqual(redactArgs({ input: { [k]: { nested: 'x' } } }), { input: { [k]: '[REDACTED]' } }, k);
  }
  for (const k of ['path', 'text', 'code', 'input', 'count']) assert.equal(isSecretKey(k), false, k);
});

test('values are masked wherever they are: card numbers (Luhn), bearer tokens, API-key shapes; other text is kept', () => {
  assert.deepEqual(redactArgs({ note: 'pay with 4111 1111 1111 1111 today' }), { note: 'pay with [REDACTED] today' });
  assert.deepEqual(redactArgs(['Authorization: Bearer abc.def.ghi']), ['Authorization: [REDACTED]']);
  assert.deepEqual(redactArgs({ text: 'key sk-abcdefghijklmnopqrstuvwx' }), { text: 'key [REDACTED]' });
  assert.deepEqual(redactArgs({ text: 'order 4111 1111 1111 1112' }), { text: 'order 4111 1111 1111 1112' }, 'not Luhn-valid: kept');
  assert.deepEqual(redactArgs({ code: 'return input.a * 2', n: 3, ok: true, none: null }), { code: 'return input.a * 2', n: 3, ok: true, none: null });
});

test('shape caps: long strings cut with their length, long arrays and deep nesting summarised', () => {
  assert.equal(redactArgs('x'.repeat(300)), `${'x'.repeat(256)}…[300 chars]`);
  const arr = redactArgs(Array.from({ length: 70 }, (_, i) => i)) as unknown[];
  assert.equal(arr.length, 65);
  assert.equal(arr[64], '[+6 items]');
  let deep: unknown = 'leaf';
  for (let i = 0; i < 12; i++) deep = { d: deep };
  assert.ok(JSON.stringify(redactArgs(deep as never)).includes('[…]'));
});
