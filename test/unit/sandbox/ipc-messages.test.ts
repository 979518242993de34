import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSupervisorMessage, parseWorkerMessage } from '../../../sandbox/ipc/messages.ts';

describe('worker protocol parsing', () => {
  it('accepts ready and well-formed results', () => {
    assert.deepEqual(parseWorkerMessage({ t: 'ready' }), { t: 'ready' });
    assert.deepEqual(parseWorkerMessage({ t: 'result', id: 'j1', ok: true, value: null }), { t: 'result', id: 'j1', ok: true, value: null });
    assert.deepEqual(parseWorkerMessage({ t: 'result', id: 'j1', ok: false, code: 'SBX_ERR_TIMEOUT', message: 'slow' }), {
      t: 'result', id: 'j1', ok: false, code: 'SBX_ERR_TIMEOUT', message: 'slow',
    });
  });

  it('rejects results with a missing value, unknown code, bad id or wrong ok', () => {
    const bad: unknown[] = [
      null, [], 'ready', { t: 'hello' },
      { t: 'result', id: 'j1', ok: true },
      { t: 'result', id: 'j1', ok: false, code: 'NOPE', message: '' },
      { t: 'result', id: '', ok: true, value: 1 },
      { t: 'result', id: 'x'.repeat(129), ok: true, value: 1 },
      { t: 'result', id: 7, ok: true, value: 1 },
      { t: 'result', id: 'j1', ok: 'true', value: 1 },
    ];
    for (const raw of bad) assert.equal(parseWorkerMessage(raw), undefined, JSON.stringify(raw));
  });

  it('truncates a worker error message to 1024 characters', () => {
    const parsed = parseWorkerMessage({ t: 'result', id: 'j', ok: false, code: 'TOOL_ERR_THROWN', message: 'm'.repeat(5000) });
    assert.equal(parsed?.t === 'result' && !parsed.ok ? parsed.message.length : -1, 1024);
  });

  it('accepts only well-formed run and shutdown messages from the supervisor', () => {
    const run = { t: 'run', id: 'j1', handler: 'return 1', args: {}, timeoutMs: 1000, memoryMb: 64, maxOutputBytes: 1024 };
    assert.deepEqual(parseSupervisorMessage(run), run);
    assert.deepEqual(parseSupervisorMessage({ t: 'shutdown' }), { t: 'shutdown' });
    for (const broken of [
      { ...run, timeoutMs: 0 }, { ...run, memoryMb: 1.5 }, { ...run, maxOutputBytes: -1 }, { ...run, handler: 1 },
      { t: 'run', id: 'j1', handler: 'x', timeoutMs: 1, memoryMb: 1, maxOutputBytes: 1 }, { ...run, t: 'exec' },
    ]) {
      assert.equal(parseSupervisorMessage(broken), undefined, JSON.stringify(broken));
    }
  });
});
