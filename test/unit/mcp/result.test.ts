/** Pure mapping of pipeline outcomes to MCP tools/call results. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gwError } from '../../../agent-gateway/errors.ts';
import {
  callBodyResult, decidedResult, pendingResult, refusalResult, structured,
} from '../../../agent-gateway/mcp/result.ts';

test('ok: structuredContent is the result object, one text item with its JSON, call_id in _meta', () => {
  const r = callBodyResult({ status: 'ok', call_id: 'call_1', tool: 'echo', result: { text: 'hi' }, duration_ms: 3 });
  assert.equal(r.isError, undefined);
  assert.deepEqual(r.structuredContent, { text: 'hi' });
  assert.deepEqual(r.content, [{ type: 'text', text: '{"text":"hi"}' }]);
  assert.deepEqual(r._meta, { call_id: 'call_1' });
});

test('a non-object result is wrapped as {result}', () => {
  for (const v of [2, 'x', null, [1, 2], true]) {
    assert.deepEqual(structured(v), { result: v });
    const r = callBodyResult({ status: 'ok', call_id: 'c', tool: 'js.eval', result: v, duration_ms: 1 });
    assert.deepEqual(r.structuredContent, { result: v });
    assert.equal(r.content[0]?.text, JSON.stringify(v));
  }
});

test('a receipt on the call body travels in _meta', () => {
  const body = { status: 'ok' as const, call_id: 'c', tool: 'echo', result: {}, duration_ms: 1, receipt: { v: 1, sig: 'x' } };
  assert.deepEqual(callBodyResult(body)._meta, { call_id: 'c', receipt: { v: 1, sig: 'x' } });
});

test('a sandbox error is isError with its code, message and call_id', () => {
  const r = callBodyResult({ status: 'error', call_id: 'call_2', error: { code: 'SANDBOX_TIMEOUT', message: 'took too long' } });
  assert.equal(r.isError, true);
  assert.deepEqual(r.structuredContent, { code: 'SANDBOX_TIMEOUT', message: 'took too long', call_id: 'call_2' });
  assert.match(r.content[0]?.text ?? '', /^SANDBOX_TIMEOUT: took too long/);
  assert.deepEqual(r._meta, { call_id: 'call_2' });
});

test('a schema refusal lists {instancePath, message} in structuredContent and in the text', () => {
  const r = refusalResult(gwError('GW_ERR_VALIDATION', 'The args do not match the tool\'s input schema.', {
    extras: { errors: [{ instancePath: '/text', message: 'must be string' }] },
  }));
  assert.equal(r.isError, true);
  assert.equal(r.structuredContent['code'], 'GW_ERR_VALIDATION');
  assert.deepEqual(r.structuredContent['errors'], [{ instancePath: '/text', message: 'must be string' }]);
  assert.match(r.content[0]?.text ?? '', /at \/text: must be string/);
});

test('a policy denial keeps its rule id; a rate limit its retry time; other extras and headers stay out', () => {
  const denied = refusalResult(gwError('GW_ERR_POLICY_DENIED', 'Denied by policy rule r1.', { extras: { rule_id: 'r1', secret: 'x' } }));
  assert.deepEqual(denied.structuredContent, { code: 'GW_ERR_POLICY_DENIED', message: 'Denied by policy rule r1.', rule_id: 'r1' });
  const limited = refusalResult(gwError('GW_ERR_RATE_LIMITED', 'slow down', { headers: { 'Retry-After': '7', 'X-Other': 'y' } }));
  assert.deepEqual(limited.structuredContent, { code: 'GW_ERR_RATE_LIMITED', message: 'slow down', retry_after_seconds: 7 });
});

test('a kill switch refusal without a detail uses the registry title', () => {
  const r = refusalResult(gwError('GW_ERR_KILL_SWITCH'));
  assert.equal(r.isError, true);
  assert.equal(r.structuredContent['code'], 'GW_ERR_KILL_SWITCH');
  assert.match(String(r.structuredContent['message']), /Kill switch/);
});

test('an unexpected exception becomes GW_ERR_INTERNAL without its text', () => {
  const r = refusalResult(new Error('ENOENT /secret/path at foo.ts:12'));
  assert.deepEqual(r.structuredContent, { code: 'GW_ERR_INTERNAL', message: 'Internal error.' });
  assert.doesNotMatch(JSON.stringify(r), /secret|foo\.ts/);
});

test('pending approval: isError, {status, approval_id, call_id}, a text that says a human must approve', () => {
  const r = pendingResult({ status: 'pending_approval', approval_id: 'apr_1', call_id: 'call_1' });
  assert.equal(r.isError, true);
  assert.deepEqual(r.structuredContent, { status: 'pending_approval', approval_id: 'apr_1', call_id: 'call_1' });
  assert.match(r.content[0]?.text ?? '', /approv/i);
  assert.match(r.content[0]?.text ?? '', /\/tools\/calls\/call_1/);
});

test('rejected and expired waits are isError with approval_rejected / approval_expired', () => {
  const p = { status: 'pending_approval' as const, approval_id: 'apr_1', call_id: 'call_1' };
  assert.equal(decidedResult('approval_rejected', p).structuredContent['status'], 'approval_rejected');
  assert.equal(decidedResult('approval_rejected', p).structuredContent['code'], 'approval_rejected');
  assert.equal(decidedResult('approval_expired', p).structuredContent['code'], 'approval_expired');
  assert.equal(decidedResult('approval_expired', p).isError, true);
});
