import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exitOutcome, judgeReply } from '../../../sandbox/docker/worker-reply.ts';

const busy = { phase: 'busy', id: 'job-1', maxOutputBytes: 64 } as const;

test('accepts ready only while the container is starting', () => {
  assert.deepEqual(judgeReply({ t: 'ready' }, { phase: 'starting' }), { kind: 'ready' });
  assert.equal(judgeReply({ t: 'ready' }, { phase: 'idle' }).kind, 'violation');
  assert.equal(judgeReply({ t: 'ready' }, busy).kind, 'violation');
});

test('accepts a result only for the pending job id', () => {
  const result = { t: 'result', id: 'job-1', ok: true, value: { a: [1, 'b', null] } };
  assert.deepEqual(judgeReply(result, busy), { kind: 'result', outcome: { ok: true, value: { a: [1, 'b', null] } } });
  assert.equal(judgeReply({ ...result, id: 'job-2' }, busy).kind, 'violation');
  assert.equal(judgeReply(result, { phase: 'idle' }).kind, 'violation');
  assert.equal(judgeReply(result, { phase: 'starting' }).kind, 'violation');
});

test('re-checks the size of a successful value against maxOutputBytes', () => {
  const judged = judgeReply({ t: 'result', id: 'job-1', ok: true, value: 'x'.repeat(100) }, busy);
  assert.deepEqual(judged, { kind: 'result', outcome: { ok: false, code: 'SBX_ERR_OUTPUT_TOO_LARGE', message: 'result exceeds maxOutputBytes' } });
});

test('passes a worker-reported error code through with its message capped at 1024 chars', () => {
  const judged = judgeReply({ t: 'result', id: 'job-1', ok: false, code: 'TOOL_ERR_THROWN', message: 'm'.repeat(5000) }, busy);
  assert.ok(judged.kind === 'result' && !judged.outcome.ok);
  if (judged.kind === 'result' && !judged.outcome.ok) {
    assert.equal(judged.outcome.code, 'TOOL_ERR_THROWN');
    assert.equal(judged.outcome.message.length, 1024);
  }
});

test('a supervisor-only code from a worker is a violation: handler code cannot claim unavailable, saturated, killed or throttled', () => {
  for (const code of ['SBX_ERR_UNAVAILABLE', 'SBX_ERR_SATURATED', 'SBX_ERR_KILLED', 'SBX_ERR_ABORTED', 'SBX_ERR_PRINCIPAL_THROTTLED']) {
    const judged = judgeReply({ t: 'result', id: 'job-1', ok: false, code, message: 'x' }, busy);
    assert.equal(judged.kind, 'violation', code);
  }
});

test('treats unknown codes, bad shapes and non-objects as protocol violations', () => {
  for (const raw of [
    { t: 'result', id: 'job-1', ok: false, code: 'EVIL_CODE', message: 'x' },
    { t: 'result', id: 'job-1', ok: true },
    { t: 'result', id: 'job-1', ok: 'yes', value: 1 },
    { t: 'hello' },
    [],
    'ready',
    null,
  ]) {
    const judged = judgeReply(raw, busy);
    assert.equal(judged.kind, 'violation', JSON.stringify(raw));
  }
});

test('rebuilds the accepted value so it shares nothing with the parsed message', () => {
  const value = { nested: { list: [1, 2] } };
  const judged = judgeReply({ t: 'result', id: 'job-1', ok: true, value }, busy);
  assert.ok(judged.kind === 'result' && judged.outcome.ok);
  if (judged.kind === 'result' && judged.outcome.ok) {
    assert.deepEqual(judged.outcome.value, value);
    assert.notEqual(judged.outcome.value, value);
  }
});

test('a container that stopped mid-job is the memory limit only on the kernel OOM kill or V8\'s heap message, never on exit code 137 alone', () => {
  assert.deepEqual(exitOutcome({ oomKilled: true, exitCode: 137, stderr: '' }), { ok: false, code: 'SBX_ERR_MEMORY_LIMIT', message: 'the container ran out of memory' });
  assert.deepEqual(exitOutcome({ oomKilled: false, exitCode: 134, stderr: 'FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory' }),
    { ok: false, code: 'SBX_ERR_MEMORY_LIMIT', message: 'the worker ran out of heap' });
  // process.exit(137), or a self-SIGKILL of PID 1 under gVisor: a crash, with its code
  assert.deepEqual(exitOutcome({ oomKilled: false, exitCode: 137, stderr: '' }), { ok: false, code: 'SBX_ERR_WORKER_CRASHED', message: 'worker exited (code 137)' });
  assert.deepEqual(exitOutcome({ oomKilled: false, exitCode: 2, stderr: 'heap' }), { ok: false, code: 'SBX_ERR_WORKER_CRASHED', message: 'worker exited (code 2)' });
});
