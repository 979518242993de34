import assert from 'node:assert/strict';
import { test } from 'node:test';
import { escapeControls } from '../../../scripts/cli/terminal.ts';
import { formatEntry } from '../../../scripts/cli/audit.ts';

test('escapes terminal control characters (ESC, CR, C1 CSI, DEL) and leaves printable text alone', () => {
  assert.equal(escapeControls('plain text é 😀'), 'plain text é 😀');
  assert.equal(escapeControls('a\u001b[2Jb'), 'a\\u001b[2Jb');
  assert.equal(escapeControls('ok\rFAKE'), 'ok\\u000dFAKE');
  assert.equal(escapeControls('x\u009b31my\u007f'), 'x\\u009b31my\\u007f');
});

test('an audit entry with hostile field values prints as one inert line', () => {
  const line = formatEntry({ seq: 7, ts: '2026-01-01T00:00:00.000Z', type: 'tool.call', actor: 'agent:x\u009b2J', outcome: 'denied', data: { note: 'a\nb\u001b[31m' } });
  assert.equal(line.includes('\n'), false);
  assert.equal(/[\u0000-\u001f\u007f-\u009f]/.test(line), false);
  assert.match(line, /^#7 2026-01-01T00:00:00\.000Z "tool\.call" "agent:x\\u009b2J" denied /);
});
